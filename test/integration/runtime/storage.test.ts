/**
 * A stateful app: a file written by the running app into a mounted storage entry is still there
 * after a redeploy and a rollback. On the compiled binary against the real engine; the image is
 * deployed twice (a new release each time), then rolled back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { deployImageApp, expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { commitAppImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-storage-');
const app = uniqueName('it-store');
const entry = `${app}-data`;
const dokku = (...words: string[]) => runCli(compiled, root, words);
const image = `dokku-test/it-store:${Math.random().toString(36).slice(2, 8)}`;
let docker: Docker;

const web = () => docker.getContainer(`${app}.web.1`).inspect();

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  await commitAppImage(docker, image, 'mkdir -p /www /app && echo ok > /www/index.html && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile');
  await deployImageApp(dokku, app, image);
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  removeRoots();
}, 120_000);

describe('persistent storage', () => {
  it('creates an entry under the storage root and mounts it, applied by ps:restart', async () => {
    const created = await dokku('storage:create', entry, '--app', app, '--chown', 'false');
    expect(created.code, created.stderr).toBe(0);
    const path = join(root, 'lib', 'data', 'storage', entry);
    expect(existsSync(path)).toBe(true);
    const mounted = await dokku('storage:mount', app, entry, '--container-dir', '/app/storage');
    expect([mounted.code, mounted.stdout], mounted.stderr).toEqual([0, expect.stringContaining('ps:restart')]);
    const list = await dokku('storage:list', app, '--format', 'json');
    expect(JSON.parse(list.stdout)).toEqual([{ host_path: path, container_path: '/app/storage', volume_options: '', entry }]);
    expectOk(await dokku('ps:restart', app), 'ps:restart');
    expect((await web()).HostConfig.Binds).toEqual([`${path}:/app/storage`]);
  });

  it('keeps a file the app wrote across a redeploy and a rollback', async () => {
    const wrote = await dokku('enter', app, 'web', 'sh', '-c', 'echo kept-across-deploys > /app/storage/upload.txt');
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(readFileSync(join(root, 'lib', 'data', 'storage', entry, 'upload.txt'), 'utf8')).toBe('kept-across-deploys\n');
    expectOk(await dokku('git:from-image', app, image), 'redeploy');
    const releases = JSON.parse((await dokku('releases', app, '--format', 'json')).stdout) as Array<{ version: number }>;
    const latest = Math.max(...releases.map((r) => r.version));
    const afterDeploy = await dokku('enter', app, 'web', 'cat', '/app/storage/upload.txt');
    expect(afterDeploy.stdout).toBe('kept-across-deploys\n');
    // v1 ran without the mount: a rollback to it restores that (and releases:diff says so), then forward again.
    const diff = await dokku('releases:diff', app, 'v1', `v${latest}`);
    expect(diff.stdout).toContain(`+ mount ${join(root, 'lib', 'data', 'storage', entry)}:/app/storage`);
    expectOk(await dokku('rollback', app, 'v1'), 'rollback to v1');
    expect((await web()).HostConfig.Binds ?? []).toEqual([]);
    expect(JSON.parse((await dokku('storage:list', app, '--format', 'json')).stdout)).toEqual([]);
    expectOk(await dokku('rollback', app, `v${latest}`), 'rollback forward');
    const back = await dokku('run', app, 'cat', '/app/storage/upload.txt');
    expect([back.code, back.stdout], back.stderr).toEqual([0, 'kept-across-deploys\n']);
  });

  it('refuses to destroy an entry an app mounts, and unmounts', async () => {
    const refused = await dokku('storage:destroy', entry);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining(`is mounted by ${app}`)]);
    expectOk(await dokku('storage:unmount', app, entry), 'storage:unmount');
    expectOk(await dokku('storage:destroy', entry), 'storage:destroy');
    const report = await dokku('storage:report', app, '--format', 'json');
    expect(JSON.parse(report.stdout)).toEqual({ 'storage-build-mounts': '', 'storage-deploy-mounts': '', 'storage-run-mounts': '' });
  });
});
