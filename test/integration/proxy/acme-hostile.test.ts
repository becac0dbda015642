/**
 * A hostile ACME server: it speaks enough of RFC 8555 (directory, nonces, account, order,
 * authorization, challenge) for acme-client to reach the HTTP-01 answer, then hands out a token of
 * its choosing. dokku must refuse every token outside the ACME alphabet with one line, and write or
 * delete nothing outside its challenge directory. A good token, as a control, is written there.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { challengeFile, orderCertificate } from '../../../src/proxy/acme.ts';
import { TARGETS, errorLines, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { startFakeAcme, type FakeAcme } from './fake-acme.ts';
import { webAppSource } from './helpers.ts';

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
  removeRoots();
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

describe('letsencrypt:enable against the hostile server', () => {
  const compiled = TARGETS.find((t) => t.name === 'compiled')!;
  const root = makeRoot('dokku-acme-cli-');
  const app = uniqueName('acme-web');
  const challenges = join(root, 'letsencrypt', 'challenges');
  let nginx: TestNginx;
  let cliAcme: FakeAcme;
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(requireNginx());
    cliAcme = await startFakeAcme(challenges);
    for (const words of [['apps:create', app], ['checks:set', app, 'wait', '0'], ['domains:add', app, `${app}.test`], ['git:from-archive', app, await webAppSource(docker)], ['letsencrypt:set', '--global', 'email', 'ops@example.test'], ['letsencrypt:set', app, 'server', cliAcme.url]]) {
      expectOk(await dokku(...words), words.join(' '));
    }
  }, 300_000);

  afterAll(async () => {
    await cliAcme?.close();
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
  }, 120_000);

  it.each(['../../../tmp/x', `../../${app}/nginx.conf`, '../../dokku.db'])('token %s: one line, exit 1, nothing written outside the challenge directory', async (token) => {
    const target = resolve(challenges, token);
    const before = existsSync(target) ? readFileSync(target) : undefined;
    cliAcme.token = token;
    const r = await dokku('letsencrypt:enable', app);
    expect(r.code, r.stderr).toBe(1);
    const { errors, others } = errorLines(r.stderr);
    expect(others).toEqual([]);
    expect(errors).toEqual([` !     The ACME server sent an invalid challenge token '${token}': tokens are 1 to 256 of A-Z a-z 0-9 _ -`]);
    expect(existsSync(target) ? readFileSync(target) : undefined).toEqual(before);
    expect(tree(challenges)).toEqual([]);
  });
});
