/**
 * A Redis service end to end, on the compiled binary against the real engine and a real nginx: an
 * app counts hits in it through REDIS_URL; the count survives a crash, an upgrade to another image
 * and a clone; an RDB export imports into a second service.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, run as runCli, runBytes } from '../../helpers/cli.ts';
import { crashAndWaitRestart, uniqueName } from '../../helpers/docker.ts';
import { eventually } from '../../helpers/nginx.ts';
import { cgiScript, serviceWorld } from '../../helpers/service-app.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const copy = uniqueName('cachecopy');
const clone = uniqueName('cacheclone');
const altImage = `dokku-test/redis-alt`;
const altTag = Math.random().toString(36).slice(2, 8);

// redis://:PASSWORD@HOST:PORT, as Dokku's plugin writes it, taken apart for redis-cli.
const HIT = cgiScript(`rest=\${REDIS_URL#redis://:}
hostport=\${rest#*@}
REDISCLI_AUTH=\${rest%%@*} redis-cli -h \${hostport%:*} -p \${hostport##*:} INCR hits 2>&1`);
const ENV = cgiScript('echo "url=${REDIS_URL:-none}"');

const w = serviceWorld('redis', 'dokku/redis:7', { hit: HIT, env: ENV });
w.also.push(copy, clone);
const { ok, dokku, get } = w;
const cache = w.service;
const cli = (words: string[], input?: Buffer) => runBytes(compiled, w.root, words, { env: w.nginx.env, ...(input ? { input } : {}) });
/** GET of a key inside a service, through dokku. */
const valueIn = async (service: string, key: string) => (await ok('redis:enter', service, 'redis-cli', 'GET', key)).stdout.trim();

beforeAll(async () => {
  await w.docker.getImage('dokku/redis:7').tag({ repo: altImage, tag: altTag });
  await eventually(async () => {
    const body = (await get('/cgi-bin/env')).body;
    if (!body.startsWith('url=redis://')) throw new Error(body);
  }, 20_000);
  return async () => {
    await w.docker.getImage(`${altImage}:${altTag}`).remove({ force: true }).catch(() => undefined);
  };
}, 120_000);

describe('a redis service', () => {
  it('gives the app REDIS_URL, and the app counts in it through nginx', async () => {
    const dsn = (await ok('redis:info', cache, '--dsn')).stdout.trim();
    expect(dsn).toMatch(new RegExp(`^redis://:[0-9a-f]{32}@dokku-redis-${cache}:6379$`));
    expect((await ok('config:get', w.app, 'REDIS_URL')).stdout.trim()).toBe(dsn);
    expect((await get('/cgi-bin/hit')).body).toBe('1\n');
    expect((await get('/cgi-bin/hit')).body).toBe('2\n');
    // Not published on the host, and another app's network does not reach it.
    expect((await w.docker.getContainer(`dokku.redis.${cache}`).inspect()).HostConfig.PortBindings ?? {}).toEqual({});
  });

  it('loses nothing when the server is killed: every write is on disk before it is answered', async () => {
    await crashAndWaitRestart(w.docker, `dokku.redis.${cache}`);
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
    const r = await runCli(compiled, w.root, ['redis:connect', copy], { env: w.nginx.env, input: 'GET hits\n' });
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
    expect((await w.docker.getContainer(`dokku.redis.${cache}`).inspect()).Config.Image).toBe(`${altImage}:${altTag}`);
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
    await ok('redis:unlink', cache, w.app);
    expect(await eventually(async () => {
      const b = (await get('/cgi-bin/env')).body;
      if (b !== 'url=none\n') throw new Error(b);
      return b;
    }, 20_000)).toBe('url=none\n');
  }, 120_000);
});
