/**
 * The whole pipeline through the CLI against the real Docker engine: build from an archive,
 * release, deploy, config change, rollback, failed deploy with the old release serving, scale,
 * run, logs and destroy.
 */
import { mkdtempSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { FIXTURES, expectOk, tarOf, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';

const node = TARGETS.find((t) => t.name === 'node')!;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

/** Hits the app's current upstream (as nginx would follow it) until stopped; counts failures. */
function requestLoop(root: string, app: string) {
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const done = (async () => {
    while (!stop) {
      const url = upstreamOf(root, app);
      try {
        if (!url) throw new Error('no upstream');
        await get(url);
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return { ok, failures };
    },
  };
}

describe('deploy pipeline (docker-local)', () => {
  const root = makeRoot('dokku-deploy-');
  const app = uniqueName('it-node');
  const dokku = (...words: string[]) => run(node, root, words);
  let docker: Awaited<ReturnType<typeof connectDocker>>;

  beforeAll(async () => {
    requireDist();
    docker = await connectDocker();
    expectOk(await dokku('stack:build'), 'stack:build');
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('checks:set', app, 'wait-to-retire', '1'), 'checks:set');
  }, 900_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    removeRoots();
  }, 120_000);

  it('builds a node app with an npm dependency from an archive and serves it', async () => {
    expectOk(await dokku('config:set', app, 'MESSAGE=first', '--no-restart'), 'config:set');
    const r = await dokku('git:from-archive', app, tarOf(join(FIXTURES, 'node')));
    expectOk(r, 'git:from-archive');
    expect(r.stdout).toMatch(/^-----> /m);
    expect(r.stdout).toContain('Application deployed');
    const url = upstreamOf(root, app)!;
    expect(await get(url)).toContain('first');
    const releases = JSON.parse((await dokku('releases', app, '--format', 'json')).stdout);
    expect(releases[0]).toMatchObject({ version: 1, current: true, status: 'deployed' });
    expect(releases[0].description).toMatch(/^Deploy /);
  }, 600_000);

  it('config:set makes a new release that serves the new value with no failed request; rollback brings the old back', async () => {
    const loop = requestLoop(root, app);
    const set = await dokku('config:set', app, 'MESSAGE=second');
    expectOk(set, 'config:set');
    expect(await get(upstreamOf(root, app)!)).toContain('second');
    const back = await dokku('rollback', app);
    expectOk(back, 'rollback');
    expect(await get(upstreamOf(root, app)!)).toContain('first');
    const { ok, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);

    const releases = JSON.parse((await dokku('releases', app, '--format', 'json')).stdout) as Array<{ version: number; description: string; current: boolean }>;
    expect(releases.map((r) => r.description)).toEqual(['Rollback to v1', 'Set MESSAGE', expect.stringMatching(/^Deploy /)]);
    expect(releases[0]!.current).toBe(true);
    expect((await dokku('config:get', app, 'MESSAGE')).stdout).toBe('first\n');
    const diff = await dokku('releases:diff', app, 'v1', 'v2');
    expectOk(diff, 'releases:diff');
    expect(diff.stdout).toContain('~ config MESSAGE');
    expect(diff.stdout).not.toContain('second');
  }, 600_000);

  it('a deploy whose check fails leaves the old release serving and says why', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'dokku-broken-'));
    cpSync(join(FIXTURES, 'node'), broken, { recursive: true });
    writeFileSync(join(broken, 'Procfile'), 'web: echo "about to crash: missing DATABASE_URL" && exit 1\n');
    const loop = requestLoop(root, app);
    const r = await dokku('git:from-archive', app, tarOf(broken));
    const { failures } = await loop.stop();
    rmSync(broken, { recursive: true, force: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('about to crash: missing DATABASE_URL');
    expect(failures).toEqual([]);
    expect(await get(upstreamOf(root, app)!)).toContain('first');
    const events = JSON.parse((await dokku('events', app, '--format', 'json')).stdout) as Array<{ type: string }>;
    expect(events.at(-1)!.type).toBe('DeployFailed');
  }, 600_000);

  it('ps:scale web=2 runs two web containers; run passes the exit code; logs show the app output', async () => {
    expectOk(await dokku('ps:scale', app, 'web=2'), 'ps:scale');
    const listed = await docker!.listContainers({ filters: { label: [`com.dokku.app=${app}`, 'com.dokku.process-type=web'] } });
    expect(listed.filter((c) => c.State === 'running')).toHaveLength(2);
    const report = JSON.parse((await dokku('ps:report', app, '--format', 'json')).stdout);
    expect(report.processes).toBe('2');

    const code = await dokku('run', app, '--', '/bin/sh', '-c', 'echo one-off $MESSAGE; exit 3');
    expect(code.code).toBe(3);
    expect(code.stdout).toContain('one-off first');

    const logs = await dokku('logs', app, '-n', '50');
    expectOk(logs, 'logs');
    expect(logs.stdout).toMatch(/app\[web\.1\]: .*listening/i);
  }, 600_000);

  it('apps:destroy removes containers, images and the build cache volume', async () => {
    const other = uniqueName('it-gone');
    expectOk(await dokku('apps:create', other), 'apps:create');
    expectOk(await dokku('git:from-archive', other, tarOf(join(FIXTURES, 'node'))), 'deploy');
    expectOk(await dokku('apps:destroy', other, '--force'), 'apps:destroy');
    expect(await docker!.listContainers({ all: true, filters: { label: [`com.dokku.app=${other}`] } })).toHaveLength(0);
    const images = await docker!.listImages({ filters: { reference: [`dokku/${other}`] } });
    expect(images).toHaveLength(0);
    const volumes = await docker!.listVolumes({ filters: { name: [`dokku-cache-${other}`] } });
    expect(volumes.Volumes ?? []).toHaveLength(0);
  }, 600_000);
});
