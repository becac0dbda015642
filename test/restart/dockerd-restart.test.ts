/**
 * The Docker daemon restarts (an upgrade, a crash) with three apps deployed behind nginx: once it
 * answers again, every app answers through nginx within 30 s with the release it had (the
 * containers' restart policy, then `ps:restore` as the boot unit runs it).
 *
 * This stops the machine's shared dockerd, so it runs alone, after every other test file: see
 * vitest.restart.config.ts and `npm test`. It expects dockerd as a plain process (as .ci/run starts
 * it), and starts it again the same way.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../helpers/cli.ts';
import { expectOk } from '../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../helpers/nginx.ts';
import { faultAppSource } from '../integration/faults/helpers.ts';
import { viaNginx } from '../integration/proxy/helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

/** The running dockerd: its pid and the argv it was started with. */
function findDockerd(): { pid: number; argv: string[] } {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'dockerd') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return { pid: Number(entry), argv };
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('no dockerd process found: this test restarts a dockerd started as a plain process (see .ci/run)');
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ms: number, fn: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** SIGTERM, wait for it to exit, start it again as `nohup dockerd >/tmp/dockerd.log 2>&1 &` does. */
async function restartDockerd(): Promise<void> {
  const { pid, argv } = findDockerd();
  process.kill(pid, 'SIGTERM');
  await until('dockerd to exit', 60_000, () => !alive(pid));
  const log = openSync('/tmp/dockerd.log', 'a');
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  closeSync(log);
}

describe('dockerd restarts', () => {
  const root = makeRoot('dokku-restart-');
  let nginx: TestNginx;
  const apps = [uniqueName('rs-a'), uniqueName('rs-b'), uniqueName('rs-c')];
  const cache = uniqueName('rs-cache');
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const get = (app: string) => viaNginx(nginx.httpPort, `${app}.test`, '/', 2000);

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    for (const [i, app] of apps.entries()) {
      await ok('apps:create', app);
      await ok('domains:add', app, `${app}.test`);
      await ok('config:set', app, `MESSAGE=hello-${i}`, '--no-restart');
      await ok('checks:set', app, 'wait-to-retire', '0');
      // One more deploy per app, so each runs a different release.
      for (let n = 0; n <= i; n++) await ok('git:from-archive', app, await faultAppSource(docker));
    }
    // A service with data, linked to the first app.
    await ok('redis:create', cache);
    await ok('redis:link', cache, apps[0]!, '--no-restart');
    await ok('redis:enter', cache, 'redis-cli', 'SET', 'kept', 'across-restarts');
  }, 600_000);

  afterAll(async () => {
    for (const app of apps) await dokku('apps:destroy', app, '--force');
    await dokku('redis:destroy', cache, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('every app answers through nginx again within 30 s, with the release it had', async () => {
    const before = new Map<string, string>();
    for (const [i, app] of apps.entries()) {
      const body = (await eventually(() => get(app))).body;
      expect(body).toBe(`hello-${i} v${i + 1}\n`);
      before.set(app, body);
    }

    await restartDockerd();
    const docker = await connectDocker().catch(() => undefined);
    await until('docker to answer', 120_000, async () => {
      try {
        await (docker ?? (await connectDocker())).ping();
        return true;
      } catch {
        return false;
      }
    });
    const back = Date.now();
    const restore = await dokku('ps:restore');
    expect(restore.code, `${restore.stdout}${restore.stderr}`).toBe(0);
    for (const app of apps) {
      await until(`${app} to answer through nginx`, Math.max(1, 30_000 - (Date.now() - back)), async () => {
        try {
          return (await get(app)).body === before.get(app);
        } catch {
          return false;
        }
      });
    }
    expect(Date.now() - back).toBeLessThan(30_000);
    // The service is back with its data, on the app's network again.
    expect((await ok('redis:info', cache, '--status')).stdout).toBe('running\n');
    expect((await ok('redis:enter', cache, 'redis-cli', 'GET', 'kept')).stdout).toBe('across-restarts\n');
    const networks = (await (await connectDocker()).getContainer(`dokku.redis.${cache}`).inspect()).NetworkSettings.Networks;
    expect(Object.keys(networks).sort()).toEqual([`dokku.app.${apps[0]}`, `dokku.redis.${cache}`].sort());
    expect((await dokku('events:verify')).code).toBe(0);
  }, 300_000);
});
