/**
 * A hostile ACME server for tests: enough of RFC 8555 (directory, nonces, account, order,
 * authorization, challenge) for acme-client to reach the HTTP-01 answer, with a token of the
 * test's choosing. The order never finishes.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeAcme {
  url: string;
  /** The token the next authorization hands out. */
  token: unknown;
  /** Whether `<challenge dir>/<token>` existed when the client said the challenge was ready. */
  answered: boolean | undefined;
  close(): Promise<void>;
}

export async function startFakeAcme(challengeDir: string): Promise<FakeAcme> {
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
