/**
 * Zero downtime through nginx: continuous load (autocannon, keep-alive connections) on an app's
 * domain while it is redeployed five times and rolled back. Each switch renders the new upstreams,
 * checks and reloads nginx, waits until nginx serves them, and only then are old containers retired.
 */
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx, webAppSource } from './helpers.ts';
import { keepAliveLoad } from '../../helpers/keep-alive-load.ts';

const nginxBin = requireNginx();

describe('zero-downtime redeploys through nginx', () => {
  const root = makeRoot('dokku-zdt-');
  const node = TARGETS.find((t) => t.name === 'node')!;
  const app = uniqueName('zdt');
  const domain = `${app}.test`;
  let nginx: TestNginx;
  let source: string;
  const dokku = (...words: string[]) => run(node, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    source = await webAppSource(docker!);
    await ok('apps:create', app);
    await ok('domains:add', app, domain);
    await ok('checks:set', app, 'wait', '1');
    await ok('checks:set', app, 'wait-to-retire', '2');
    await ok('config:set', app, 'MESSAGE=r0', '--no-restart');
    await ok('git:from-archive', app, source);
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('five redeploys and a rollback under load fail no request', async () => {
    // Two clients on keep-alive connections at a steady rate, as browsers and API clients hold them.
    // autocannon counts any socket error. The other client (Node's keep-alive agent) sends a GET
    // again when its connection is reset before any response, as RFC 9112 (9.3.1) allows: nginx
    // 1.22's old workers close their idle keep-alive connections at a reload, and a request written
    // at that instant is reset unread (newer nginx has keepalive_min_timeout for this).
    const load = autocannon({ url: `http://127.0.0.1:${nginx.httpPort}/`, headers: { host: domain }, connections: 8, overallRate: 400, duration: 3600, timeout: 10 });
    const resets: string[] = [];
    (load as unknown as NodeJS.EventEmitter).on('reqError', (err: Error & { code?: string }) => resets.push(err.code ?? err.message));
    const client = keepAliveLoad(nginx.httpPort, domain);
    const seen: string[] = [];
    const served = async () => (await viaNginx(nginx.httpPort, domain)).body.trim();
    try {
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 1; i <= 3; i++) {
        await ok('config:set', app, `MESSAGE=r${i}`);
        seen.push(await served());
      }
      await ok('git:from-archive', app, source);
      seen.push(await served());
      await ok('ps:restart', app);
      seen.push(await served());
      await ok('rollback', app, 'v2');
      seen.push(await served());
      // Let the last retirement happen under load too.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      load.stop();
    }
    const result = await load;
    const keptAlive = await client.stop();
    expect(seen).toEqual(['r1 v2', 'r2 v3', 'r3 v4', 'r3 v5', 'r3 v5', 'r1 v6']);
    // Every request nginx read was answered 200 by a running release: no 502 from a retired
    // container, no 503 or 404 from a missing vhost, no timeout.
    expect(result.requests.total).toBeGreaterThan(4000);
    expect({ timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ timeouts: 0, non2xx: 0 });
    expect(resets.filter((code) => code !== 'ECONNRESET')).toEqual([]);
    console.log(`autocannon: ${result.requests.total} requests, ${result['2xx']} 2xx, ${resets.length} idle keep-alive connections reset at reloads`);
    console.log(`keep-alive client: ${keptAlive.ok} requests, ${keptAlive.retried} sent again after a reset`);
    expect(keptAlive.failures).toEqual([]);
    expect(keptAlive.ok).toBeGreaterThan(1000);
    expect(new Set(keptAlive.bodies.keys())).toEqual(new Set(['r0 v1', 'r1 v2', 'r2 v3', 'r3 v4', 'r3 v5', 'r1 v6']));
  }, 600_000);
});
