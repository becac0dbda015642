/**
 * A hostile ACME server: it speaks enough of RFC 8555 (directory, nonces, account, order,
 * authorization, challenge) for acme-client to reach the HTTP-01 answer, then hands out a token of
 * its choosing. dokku must refuse every token outside the ACME alphabet with one line, and write or
 * delete nothing outside its challenge directory. A good token, as a control, is written there.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { challengeFile, orderCertificate } from '../../../src/proxy/acme.ts';

interface FakeAcme {
  url: string;
  /** The token the next authorization hands out. */
  token: unknown;
  /** Whether `<challenge dir>/<token>` existed when the client said the challenge was ready. */
  answered: boolean | undefined;
  close(): Promise<void>;
}

async function startFakeAcme(challengeDir: string): Promise<FakeAcme> {
  const state: FakeAcme = { url: '', token: 'x', answered: undefined, close: async () => {} };
  let nonce = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const base = state.url.replace(/\/directory$/, '');
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Replay-Nonce': `nonce-${++nonce}`, ...headers });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      const path = req.url ?? '/';
      if (path === '/directory') return send(200, { newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order`, revokeCert: `${base}/revoke`, keyChange: `${base}/key` });
      if (path === '/nonce') return send(200, undefined);
      if (path === '/account') return send(201, { status: 'valid', contact: [] }, { Location: `${base}/acct/1` });
      if (path === '/order') return send(201, { status: 'pending', identifiers: [{ type: 'dns', value: 'web.example.test' }], authorizations: [`${base}/authz/1`], finalize: `${base}/finalize/1` }, { Location: `${base}/order/1` });
      if (path === '/authz/1') {
        return send(200, { status: 'pending', identifier: { type: 'dns', value: 'web.example.test' }, challenges: [{ type: 'http-01', url: `${base}/chall/1`, token: state.token, status: 'pending' }] });
      }
      if (path === '/chall/1') {
        if (typeof state.token === 'string') state.answered = existsSync(join(challengeDir, state.token));
        return send(200, { type: 'http-01', url: `${base}/chall/1`, token: state.token, status: 'valid' });
      }
      // The order never finishes: this server only exists to hand out tokens.
      return send(400, { type: 'urn:ietf:params:acme:error:malformed', detail: 'the fake server stops here' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/directory`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${prefix}${e.name}/`, ...tree(join(dir, e.name), `${prefix}${e.name}/`)] : [`${prefix}${e.name}`])).sort();
}

const base = mkdtempSync(join(tmpdir(), 'dokku-acme-hostile-'));
// Three levels deep, so `../../../tmp/x` lands in `base/tmp/x`.
const challengeDir = join(base, 'root', 'acme', 'challenges');
const accountDir = join(base, 'root', 'acme', 'accounts');
const victim = join(base, 'tmp', 'victim');
let acme: FakeAcme;

beforeAll(async () => {
  mkdirSync(join(base, 'tmp'), { recursive: true });
  acme = await startFakeAcme(challengeDir);
});
afterAll(async () => {
  await acme?.close();
  rmSync(base, { recursive: true, force: true });
});

const order = () => orderCertificate({ directoryUrl: acme.url, accountDir, email: 'ops@example.test', domains: ['web.example.test'], challengeDir, onLine: () => {} });

const HOSTILE_TOKENS: Array<[string, unknown]> = [
  ['the traversal of the report', '../../../tmp/x'],
  ['a traversal onto an existing file', '../../../tmp/victim'],
  ['a parent', '..'],
  ['the directory itself', '.'],
  ['empty', ''],
  ['an absolute path', `${base}/tmp/x`],
  ['/etc/passwd', '/etc/passwd'],
  ['a subdirectory', 'a/b'],
  ['a backslash', '..\\..\\x'],
  ['a NUL byte', 'x\0y'],
  ['a newline', 'tok\nen'],
  ['a space', 'a b'],
  ['percent-encoded dots', '%2e%2e%2fx'],
  ['a dot inside', 'abc.conf'],
  ['a tilde', '~dokku'],
  ['300 characters', 'a'.repeat(300)],
  ['not ASCII', 'tökén'],
  ['a number', 12345],
  ['null', null],
  ['an object', { path: '../x' }],
];

describe('a hostile ACME server', () => {
  it('a good token is answered inside the challenge directory (the control)', async () => {
    acme.token = 'Good_token-123';
    acme.answered = undefined;
    await expect(order()).rejects.toThrow(UserError);
    expect(acme.answered).toBe(true);
    // Removed again after the challenge.
    expect(tree(challengeDir)).toEqual([]);
  });

  it.each(HOSTILE_TOKENS)('token %s is refused with one line, nothing written or removed outside', async (_name, token) => {
    writeFileSync(victim, 'keep me');
    const before = tree(base);
    acme.token = token;
    acme.answered = undefined;
    const err = await order().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^The ACME server sent (an invalid challenge token|a challenge token that leaves)/);
    // The challenge was never reported ready, and the tree is what it was (the account key apart).
    expect(acme.answered).toBeUndefined();
    expect(tree(base).filter((f) => !f.startsWith('root/acme/accounts/'))).toEqual(before.filter((f) => !f.startsWith('root/acme/accounts/')));
    expect(existsSync(join(base, 'tmp', 'x'))).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(tree(challengeDir)).toEqual([]);
  });

  it('challengeFile keeps every accepted token inside the directory', () => {
    expect(challengeFile(challengeDir, 'abc_DEF-09')).toBe(join(challengeDir, 'abc_DEF-09'));
    for (const [, token] of HOSTILE_TOKENS) expect(() => challengeFile(challengeDir, token)).toThrow(UserError);
  });
});
