/**
 * Each kind of app deploys and answers over HTTP, driven by the compiled single binary (Bun inside)
 * so the binary's own Docker path is exercised: static and python through buildpacks, a Dockerfile
 * app (its EXPOSEd port becomes the web port), and an image deployed without a build.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run, withDb, type RunResult } from '../../helpers/cli.ts';
import { FIXTURES, expectOk, tarOf, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;

describe('sample apps deployed by the compiled binary', () => {
  const root = makeRoot('dokku-samples-');
  const dokku = (...words: string[]) => run(compiled, root, words);
  const apps: string[] = [];

  beforeAll(async () => {
    requireDist();
    await connectDocker();
    expectOk(await dokku('stack:build'), 'stack:build');
  }, 900_000);

  afterAll(async () => {
    for (const app of apps) await dokku('apps:destroy', app, '--force');
    removeRoots();
  }, 120_000);

  async function deploy(kind: string, message: string): Promise<{ app: string; body: string; out: RunResult }> {
    const app = uniqueName(`it-${kind}`);
    apps.push(app);
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('config:set', app, `MESSAGE=${message}`, '--no-restart'), 'config:set');
    const out = await dokku('git:from-archive', app, tarOf(join(FIXTURES, kind)));
    expectOk(out, `deploy ${kind}`);
    const res = await fetch(`${upstreamOf(root, app)!}/`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    return { app, body: await res.text(), out };
  }

  it('static site through the static buildpack', async () => {
    const { body, out } = await deploy('static', 'static-ok');
    expect(out.stdout).toMatch(/-----> .*[Ss]tatic/);
    expect(body).toContain('static sample: MESSAGE=static-ok');
  }, 600_000);

  it('apps:clone copies config and settings, builds the last source and serves it under the new name', async () => {
    const source = apps.find((a) => a.startsWith('it-static'))!;
    expectOk(await dokku('checks:set', source, 'wait', '1'), 'checks:set');
    const clone = uniqueName('it-clone');
    apps.push(clone);
    const out = await dokku('apps:clone', source, clone);
    expectOk(out, 'apps:clone');
    expect(out.stdout).toContain(`-----> Cloning ${source} to ${clone}... done`);
    const res = await fetch(`${upstreamOf(root, clone)!}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toContain('static sample: MESSAGE=static-ok');
    expect((await dokku('config:get', clone, 'MESSAGE')).stdout).toBe('static-ok\n');
    expect(JSON.parse((await dokku('checks:report', clone, '--format', 'json')).stdout)).toMatchObject({ 'checks-wait': '1' });
    // The old app is untouched and still serves.
    expect(await (await fetch(`${upstreamOf(root, source)!}/`, { signal: AbortSignal.timeout(5000) })).text()).toContain('MESSAGE=static-ok');
    // A second clone to the same name is refused; with --ignore-existing it does nothing, exit 0.
    const again = await dokku('apps:clone', source, clone);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Name is already taken: ${clone}`);
    expectOk(await dokku('apps:clone', source, clone, '--ignore-existing'), 'apps:clone --ignore-existing');
    const copyOnly = uniqueName('it-clone-copy');
    apps.push(copyOnly);
    expectOk(await dokku('apps:clone', source, copyOnly, '--skip-deploy'), 'apps:clone --skip-deploy');
    expect(JSON.parse((await dokku('releases', copyOnly, '--format', 'json')).stdout)).toEqual([]);
  }, 600_000);

  it('python standard-library app through the python buildpack', async () => {
    const { body } = await deploy('python', 'python-ok');
    expect(body).toContain('python sample: MESSAGE=python-ok');
  }, 600_000);

  it('Dockerfile app, served on its EXPOSEd port', async () => {
    const { app, body } = await deploy('dockerfile', 'docker-ok');
    expect(body).toContain('MESSAGE=docker-ok');
    const info = JSON.parse((await dokku('releases:info', app, 'v1', '--format', 'json')).stdout);
    // No Procfile: one web process running the image's own CMD (an empty command).
    expect(info.processes).toEqual({ web: '' });
    const port = withDb(root, (db) => (db.prepare('SELECT r.web_port FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.name = ?').get(app) as { web_port: number }).web_port);
    expect(port).toBe(3000);
  }, 600_000);

  it('an existing image deployed with git:from-image, no build', async () => {
    const source = apps.find((a) => a.startsWith('it-dockerfile'))!;
    const app = uniqueName('it-image');
    apps.push(app);
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('config:set', app, 'MESSAGE=image-ok', '--no-restart'), 'config:set');
    expectOk(await dokku('git:from-image', app, `dokku/${source}:build-1`), 'git:from-image');
    const res = await fetch(`${upstreamOf(root, app)!}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toContain('MESSAGE=image-ok');
    const builds = JSON.parse((await dokku('builds:list', app, '--format', 'json')).stdout);
    expect(builds[0]).toMatchObject({ status: 'succeeded', source: 'image' });
    // One build, in Dokku's report shape: text rows and --format json.
    const info = JSON.parse((await dokku('builds:info', app, String(builds[0].number), '--format', 'json')).stdout);
    expect(info).toMatchObject({ 'build-id': String(builds[0].number), 'build-status': 'succeeded', 'build-source': 'image', 'build-image': builds[0].image });
    const text = (await dokku('builds:info', app, String(builds[0].number))).stdout;
    // Piped: the rows without the title, as Dokku prints them.
    expect(text).not.toContain('=====>');
    expect(text).toMatch(/^ {7}Build status: +succeeded$/m);
    expect((await dokku('builds:info', app, '999')).stderr).toContain(`Build 999 of ${app} does not exist`);
  }, 600_000);
});
