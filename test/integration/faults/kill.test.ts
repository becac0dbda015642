/**
 * kill -9 of a deploy at each step (build, release command, start, checks), with the app served
 * through a real nginx: the old release keeps answering, the next command marks the killed build
 * or deploy failed and removes what it left, the next deploy succeeds, and the log still verifies.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheVolumeName } from '../../../src/builder/buildpacks.ts';
import { TARGETS, makeRoot, removeRoots, requireDist, run, withDb } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx } from '../proxy/helpers.ts';
import { buildpackAppSource, dockerEvent, faultAppSource, killWhen, slowBuildpack, type Slow } from './helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

describe('kill -9 during a deploy', () => {
  const root = makeRoot('dokku-faults-');
  // The CLI's own temp directory, so a leftover work directory is seen.
  const tmp = mkdtempSync(join(tmpdir(), 'dokku-faults-tmp-'));
  let nginx: TestNginx;
  let docker: Docker;
  let env: Record<string, string>;
  const app = uniqueName('fault');
  const dokku = (...words: string[]) => run(compiled, root, words, { env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const get = () => viaNginx(nginx.httpPort, `${app}.test`);
  const current = () =>
    withDb(root, (db) => (db.prepare('SELECT r.current_release AS v FROM app_runtime r JOIN apps a ON a.id = r.app_id WHERE a.name = ?').get(app) as { v: number }).v);
  const containerNames = async (name: string) =>
    (await docker.listContainers({ all: true })).map((c) => (c.Names[0] ?? '').replace(/^\//, '')).filter((n) => n.startsWith(`${name}.`) || n.startsWith(`dokku-build.${name}.`));

  beforeAll(async () => {
    requireDist();
    docker = await connectDocker();
    await ensureTestImage(docker);
    nginx = await startNginx(nginxBin);
    env = { ...nginx.env, TMPDIR: tmp };
    await ok('apps:create', app);
    await ok('domains:add', app, `${app}.test`);
    await ok('config:set', app, 'MESSAGE=hello', '--no-restart');
    await ok('checks:set', app, 'wait-to-retire', '0');
    await ok('git:from-archive', app, await faultAppSource(docker));
    expect((await eventually(get)).body).toBe('hello v1\n');
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  /** After a kill: the old release answers; then a deploy succeeds and nothing of the killed one is left. */
  async function survives(killedVersion: number): Promise<void> {
    expect((await get()).body).toBe(`hello v${killedVersion}\n`);
    await ok('git:from-archive', app, await faultAppSource(docker));
    const now = current();
    expect(now).toBeGreaterThan(killedVersion);
    expect((await eventually(get)).body).toBe(`hello v${now}\n`);
    expect(await containerNames(app)).toEqual([`${app}.web.1`]);
    expect(existsSync(join(root, app, 'deploy.lock'))).toBe(false);
    expect(readdirSync(join(root, app)).filter((f) => f.startsWith('deploy.lock'))).toEqual([]);
    // Bun's compiled binary extracts a native addon as `.bun-0-<hash>.node` and removes it at exit;
    // a SIGKILL leaves it. It is the runtime's, named by content, not dokku's.
    expect(readdirSync(tmp).filter((f) => !/^\.bun-.*\.node$/.test(f))).toEqual([]);
    expect((await dokku('events:verify')).code).toBe(0);
  }

  const steps: Array<{ step: string; slow: Slow; at: RegExp; delayMs: number; event?: string }> = [
    { step: 'build', slow: 'build', at: /slow-build/, delayMs: 1500 },
    { step: 'release command', slow: 'release', at: /Running release command/, delayMs: 1500 },
    // Right after Docker created the upcoming container, before it is started or checked.
    { step: 'start', slow: 'start', at: /Starting v\d+ of/, delayMs: 0, event: 'create' },
    { step: 'checks', slow: 'start', at: /Running checks/, delayMs: 1500 },
  ];

  for (const s of steps) {
    it(`at the ${s.step} step: the old release keeps serving, the next command marks it failed, the next deploy succeeds`, async () => {
      const before = current();
      const created = s.event ? await dockerEvent(docker, s.event, `${app}.web.1.upcoming-`) : undefined;
      const killed = await killWhen(compiled, root, ['git:from-archive', app, await faultAppSource(docker, s.slow)], env, s.at, s.delayMs, created);
      expect((await get()).body).toBe(`hello v${before}\n`);
      // The killed deploy left something behind for the next command to clear.
      if (s.step !== 'build') expect((await containerNames(app)).filter((n) => n !== `${app}.web.1`).length).toBeGreaterThan(0);

      // The next command that looks tells the truth.
      const builds = JSON.parse((await ok('builds:list', app, '--format', 'json')).stdout) as Array<{ status: string; reason: string | null }>;
      expect(builds[0]!.status).not.toBe('running');
      if (s.step === 'build') expect(builds[0]).toMatchObject({ status: 'failed', reason: `interrupted: process ${killed.pid} died` });
      else {
        await ok('ps:report', app);
        const release = withDb(root, (db) =>
          db.prepare('SELECT r.version, r.status FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.name = ? ORDER BY r.version DESC LIMIT 1').get(app),
        ) as { version: number; status: string };
        expect(release.version).toBeGreaterThan(before);
        expect(release.status).toBe('failed');
        const reason = withDb(root, (db) =>
          db.prepare("SELECT data FROM events WHERE type = 'DeployFailed' ORDER BY position DESC LIMIT 1").get(),
        ) as { data: string };
        expect(JSON.parse(reason.data)).toMatchObject({ version: release.version, reason: `interrupted: process ${killed.pid} died` });
      }
      // ...and has removed the killed deploy's containers already.
      expect((await containerNames(app)).filter((n) => n !== `${app}.web.1`)).toEqual([]);
      await survives(before);
    }, 180_000);
  }

  it('the next deploy itself marks a deploy killed at its checks failed and clears its containers', async () => {
    const before = current();
    const killed = await killWhen(compiled, root, ['git:from-archive', app, await faultAppSource(docker, 'start')], env, /Running checks/, 1500);
    const killedVersion = before + 1;
    const next = await ok('git:from-archive', app, await faultAppSource(docker));
    expect(next.stdout).toContain(`deploy of v${killedVersion} of ${app} was interrupted: process ${killed.pid} died; marked failed`);
    const status = withDb(root, (db) =>
      db.prepare('SELECT r.status FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.name = ? AND r.version = ?').get(app, killedVersion),
    ) as { status: string };
    expect(status.status).toBe('failed');
    expect((await eventually(get)).body).toBe(`hello v${current()}\n`);
    expect(await containerNames(app)).toEqual([`${app}.web.1`]);
    expect(readdirSync(join(root, app)).filter((f) => f.startsWith('deploy.lock'))).toEqual([]);
    expect((await dokku('events:verify')).code).toBe(0);
  }, 180_000);

  it('a killed buildpack build leaves its container holding the cache volume; apps:destroy --force removes it and the volume', async () => {
    const other = uniqueName('fault-bp');
    await ok('apps:create', other);
    await ok('buildpacks:add', other, slowBuildpack(120));
    const killed = await killWhen(compiled, root, ['git:from-archive', other, buildpackAppSource()], env, /Compiling slowly/, 500);
    // The hole: the build container outlives the killed CLI, `sleep`ing with the cache volume mounted.
    const left = await containerNames(other);
    expect(left.length).toBe(1);
    expect(left[0]).toMatch(new RegExp(`^dokku-build\\.${other}\\.${killed.pid}-${killed.ticks}\\.`));
    const r = await dokku('apps:destroy', other, '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(await containerNames(other)).toEqual([]);
    await expect(docker.getVolume(cacheVolumeName(other)).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(readdirSync(tmp).filter((f) => !/^\.bun-.*\.node$/.test(f))).toEqual([]);
    expect((await dokku('events:verify')).code).toBe(0);
  }, 300_000);
});
