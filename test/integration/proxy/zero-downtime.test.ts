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

const nginxBin = requireNginx();

describe.skipIf(!nginxBin)('zero-downtime redeploys through nginx', () => {
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
    nginx = await startNginx(nginxBin!);
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
    // Keep-alive connections at a steady rate, as browsers and API clients hold them: idle between
    // requests. A reload makes old nginx workers close their idle keep-alive connections; a client
    // sees the close and reconnects. (A request written in the same microsecond as that close is
    // reset before nginx reads it; HTTP clients retry such a request (RFC 9112, 9.3.1), autocannon
    // does not. Saturating every connection back to back makes that instant likely on every reload.)
    const load = autocannon({ url: `http://127.0.0.1:${nginx.httpPort}/`, headers: { host: domain }, connections: 8, overallRate: 400, duration: 3600, timeout: 10 });
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
    expect(seen).toEqual(['r1 v2', 'r2 v3', 'r3 v4', 'r3 v5', 'r3 v5', 'r1 v6']);
    expect(result.requests.total).toBeGreaterThan(4000);
    expect(result['2xx']).toBe(result.requests.total);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
  }, 600_000);
});
