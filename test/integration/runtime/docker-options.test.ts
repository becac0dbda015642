/**
 * `docker-options:add` seen where it lands: a build arg in a Dockerfile build, deploy options on the
 * web container, run options on a one-off, and a removed option coming back with a rollback. On the
 * compiled binary against the real engine; one app, built once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk, tarOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-dopts-');
const app = uniqueName('it-dopts');
const dokku = (...words: string[]) => runCli(compiled, root, words);
let docker: Docker;

const web = () => docker.getContainer(`${app}.web.1`).inspect();

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  const base = await ensureTestImage(docker);
  const src = mkdtempSync(join(tmpdir(), 'dokku-dopts-src-'));
  writeFileSync(
    join(src, 'Dockerfile'),
    [`FROM ${base}`, 'ARG GREETING=unset', 'RUN mkdir -p /www && echo "greeting=$GREETING" > /www/index.html', 'EXPOSE 5000', 'CMD ["httpd", "-f", "-p", "5000", "-h", "/www"]', ''].join('\n'),
  );
  expectOk(await dokku('apps:create', app), 'apps:create');
  expectOk(await dokku('checks:disable', app), 'checks:disable');
  expectOk(await dokku('docker-options:add', app, 'build', '--build-arg GREETING=from-build-arg'), 'add build');
  expectOk(await dokku('docker-options:add', app, 'deploy', '--label team=storefront --shm-size 96m'), 'add deploy');
  expectOk(await dokku('docker-options:add', app, 'run', '--add-host', 'probe.local:10.1.2.3'), 'add run');
  expectOk(await dokku('git:from-archive', app, tarOf(src)), 'git:from-archive');
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  removeRoots();
}, 120_000);

describe('docker options', () => {
  it('hands the build phase build arg to the Dockerfile build', async () => {
    const r = await dokku('run', app, 'cat', '/www/index.html');
    expect([r.code, r.stdout.trim()], r.stderr).toEqual([0, 'greeting=from-build-arg']);
  });

  it('makes the web container with the deploy options, and one-offs with the run options only', async () => {
    const info = await web();
    expect(info.Config.Labels).toMatchObject({ team: 'storefront', 'com.dokku.app': app });
    expect(info.HostConfig.ShmSize).toBe(96 * 1024 * 1024);
    expect(info.HostConfig.ExtraHosts ?? []).not.toContain('probe.local:10.1.2.3');
    const hosts = await dokku('run', app, 'cat', '/etc/hosts');
    expect(hosts.code, hosts.stderr).toBe(0);
    expect(hosts.stdout).toMatch(/10\.1\.2\.3\s+probe\.local/);
  });

  it('reports them as Dokku does, in text and JSON', async () => {
    const r = await dokku('docker-options:report', app, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      'docker-options-build': '--build-arg GREETING=from-build-arg',
      'docker-options-deploy': '--label team=storefront --shm-size 96m',
      'docker-options-run': '--add-host probe.local:10.1.2.3',
    });
    const one = await dokku('docker-options:report', app, '--docker-options-deploy');
    expect(one.stdout.trim()).toBe('--label team=storefront --shm-size 96m');
  });

  it('a removed option is gone after ps:restart, releases:diff names it, and a rollback brings it back', async () => {
    const before = (await dokku('releases', app, '--format', 'json')).stdout;
    const current = Math.max(...(JSON.parse(before) as Array<{ version: number }>).map((r) => r.version));
    expectOk(await dokku('docker-options:remove', app, 'deploy', '--label team=storefront --shm-size 96m'), 'remove');
    // Not applied until the app restarts, as in Dokku.
    expect((await web()).Config.Labels).toHaveProperty('team');
    expectOk(await dokku('ps:restart', app), 'ps:restart');
    expect((await web()).Config.Labels).not.toHaveProperty('team');
    const diff = await dokku('releases:diff', app, `v${current}`, `v${current + 1}`);
    expect(diff.stdout).toContain('- docker-option deploy --label team=storefront --shm-size 96m');
    expectOk(await dokku('rollback', app, `v${current}`), 'rollback');
    expect((await web()).Config.Labels).toMatchObject({ team: 'storefront' });
    const report = await dokku('docker-options:report', app, '--docker-options-deploy');
    expect(report.stdout.trim()).toBe('--label team=storefront --shm-size 96m');
  });
});
