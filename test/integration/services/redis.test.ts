/**
 * A Redis service end to end, on the compiled binary against the real engine and a real nginx: an
 * app counts hits in it through REDIS_URL; the count survives a crash, an upgrade to another image
 * and a clone; an RDB export imports into a second service.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli, runBytes } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, crashAndWaitRestart, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { commitOnImage } from '../../helpers/test-image.ts';
import { viaNginx } from '../proxy/helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();
const root = makeRoot('dokku-redis-');
const app = uniqueName('it-redis');
const cache = uniqueName('cache');
const copy = uniqueName('cachecopy');
const clone = uniqueName('cacheclone');
const image = `dokku-test/it-redis:${Math.random().toString(36).slice(2, 8)}`;
const altImage = `dokku-test/redis-alt`;
const altTag = Math.random().toString(36).slice(2, 8);
let docker: Docker;
let nginx: TestNginx;
const dokku = (...words: string[]) => runCli(compiled, root, words, { env: nginx.env });
const ok = async (...words: string[]) => {
  const r = await dokku(...words);
  expectOk(r, words.join(' '));
  return r;
};
const cli = (words: string[], input?: Buffer) => runBytes(compiled, root, words, { env: nginx.env, ...(input ? { input } : {}) });
const get = (path: string) => viaNginx(nginx.httpPort, `${app}.test`, path);
/** GET of a key inside a service, through dokku. */
const valueIn = async (service: string, key: string) => (await ok('redis:enter', service, 'redis-cli', 'GET', key)).stdout.trim();

// redis://:PASSWORD@HOST:PORT, as Dokku's plugin writes it, taken apart for redis-cli.
const HIT = `#!/bin/sh
echo "Content-Type: text/plain"
echo
rest=\${REDIS_URL#redis://:}
hostport=\${rest#*@}
REDISCLI_AUTH=\${rest%%@*} redis-cli -h \${hostport%:*} -p \${hostport##*:} INCR hits 2>&1
`;
const ENV = '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "url=${REDIS_URL:-none}"\n';

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  nginx = await startNginx(nginxBin);
  await ok('redis:create', cache);
  await commitOnImage(docker, 'dokku/redis:7', image, {
    'app/Procfile': { text: 'web: busybox httpd -f -p $PORT -h /www\n' },
    'www/index.html': { text: 'ok\n' },
    'www/cgi-bin/hit': { text: HIT, mode: 0o755 },
    'www/cgi-bin/env': { text: ENV, mode: 0o755 },
  });
  await docker.getImage('dokku/redis:7').tag({ repo: altImage, tag: altTag });
  await ok('apps:create', app);
  await ok('domains:add', app, `${app}.test`);
  await ok('checks:disable', app);
  await ok('git:from-image', app, image);
  await ok('redis:link', cache, app);
  await eventually(async () => {
    const body = (await get('/cgi-bin/env')).body;
    if (!body.startsWith('url=redis://')) throw new Error(body);
  }, 20_000);
}, 900_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  for (const s of [cache, copy, clone]) await dokku('redis:destroy', s, '--force');
  for (const ref of [image, `${altImage}:${altTag}`]) await docker?.getImage(ref).remove({ force: true }).catch(() => undefined);
  nginx?.stop();
  removeRoots();
}, 180_000);

describe('a redis service', () => {
  it('gives the app REDIS_URL, and the app counts in it through nginx', async () => {
    const dsn = (await ok('redis:info', cache, '--dsn')).stdout.trim();
    expect(dsn).toMatch(new RegExp(`^redis://:[0-9a-f]{32}@dokku-redis-${cache}:6379$`));
    expect((await ok('config:get', app, 'REDIS_URL')).stdout.trim()).toBe(dsn);
    expect((await get('/cgi-bin/hit')).body).toBe('1\n');
    expect((await get('/cgi-bin/hit')).body).toBe('2\n');
    // Not published on the host, and another app's network does not reach it.
    expect((await docker.getContainer(`dokku.redis.${cache}`).inspect()).HostConfig.PortBindings ?? {}).toEqual({});
  });

  it('loses nothing when the server is killed: every write is on disk before it is answered', async () => {
    await crashAndWaitRestart(docker, `dokku.redis.${cache}`);
    const body = await eventually(async () => {
      const b = (await get('/cgi-bin/hit')).body;
      if (!/^\d+\n$/.test(b)) throw new Error(b);
      return b;
    }, 20_000);
    expect(body).toBe('3\n');
  }, 90_000);

  it('exports an RDB that imports into a second service; a file that is not one is refused', async () => {
    const dump = cli(['redis:export', cache]);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout.subarray(0, 5).toString()).toBe('REDIS');
    await ok('redis:create', copy);
    const imported = cli(['redis:import', copy], dump.stdout);
    expect(imported.code, imported.stderr).toBe(0);
    expect(await valueIn(copy, 'hits')).toBe('3');
    const garbage = cli(['redis:import', copy], Buffer.from('garbage'));
    expect([garbage.code, garbage.stderr]).toEqual([1, ' !     The input is not a redis dump (it does not start with REDIS): nothing was imported\n']);
    expect(await valueIn(copy, 'hits')).toBe('3');
    const empty = cli(['redis:import', copy], Buffer.alloc(0));
    expect(empty.code).toBe(1);
    expect(await valueIn(copy, 'hits')).toBe('3');
  }, 120_000);

  it('connect runs the client with the password already given, reading commands from stdin', async () => {
    const r = await runCli(compiled, root, ['redis:connect', copy], { env: nginx.env, input: 'GET hits\n' });
    expect([r.code, r.stdout], r.stderr).toEqual([0, '3\n']);
  });

  it('clone copies the data into a new service', async () => {
    await ok('redis:clone', cache, clone);
    expect(await valueIn(clone, 'hits')).toBe('3');
    const created = JSON.parse((await ok('events', '--format', 'json', '-n', '500')).stdout) as Array<{ type: string; summary: string }>;
    expect(created.some((e) => e.type === 'ServiceCreated' && e.summary.includes(`redis service ${clone}`) && e.summary.includes('clone'))).toBe(true);
  }, 120_000);

  it('upgrade runs the same data under another image; the app keeps counting', async () => {
    const r = await ok('redis:upgrade', cache, '--image', altImage, '--image-version', altTag);
    expect(r.stdout).toContain(`runs ${altImage}:${altTag}`);
    expect((await docker.getContainer(`dokku.redis.${cache}`).inspect()).Config.Image).toBe(`${altImage}:${altTag}`);
    const body = await eventually(async () => {
      const b = (await get('/cgi-bin/hit')).body;
      if (!/^\d+\n$/.test(b)) throw new Error(b);
      return b;
    }, 20_000);
    expect(body).toBe('4\n');
    const missing = await dokku('redis:upgrade', cache, '--image', 'dokku-test/nope', '--image-version', 'x');
    expect([missing.code, missing.stderr]).toEqual([1, ' !     Image dokku-test/nope:x is not on this host (no registry is reachable: load it with docker load)\n']);
  }, 120_000);

  it('the audit log masks the password; unlink takes REDIS_URL away', async () => {
    const events = (await ok('events', '--format', 'json', '-n', '500')).stdout;
    const password = /redis:\/\/:([0-9a-f]+)@/.exec((await ok('redis:info', cache, '--dsn')).stdout)![1]!;
    expect(events).not.toContain(password);
    await ok('redis:unlink', cache, app);
    expect(await eventually(async () => {
      const b = (await get('/cgi-bin/env')).body;
      if (b !== 'url=none\n') throw new Error(b);
      return b;
    }, 20_000)).toBe('url=none\n');
  }, 120_000);
});
