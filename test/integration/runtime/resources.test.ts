/**
 * `resource:limit` where it lands: the memory limit in `docker inspect`, a process past it killed
 * and named by `ps:report` and `logs:failed`, and a rollback putting the previous limit back. On the
 * compiled binary against the real engine; one image, few deploys.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { commitAppImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-resource-');
const app = uniqueName('it-res');
const dokku = (...words: string[]) => runCli(compiled, root, words);
const image = `dokku-test/it-res:${Math.random().toString(36).slice(2, 8)}`;
const MIB = 1024 * 1024;
let docker: Docker;

const inspect = (name: string) => docker.getContainer(name).inspect();
const version = async () => Math.max(...(JSON.parse((await dokku('releases', app, '--format', 'json')).stdout) as Array<{ version: number }>).map((r) => r.version));

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  // `hog` reads zeros into one line that never ends: tail keeps 300 MB of it in memory until the kernel
  // steps in. It is the container's only process (the shell execs it), so its kill ends the container.
  const procfile = ['web: httpd -f -p $PORT -h /www', 'hog: tail -c 300000000 /dev/zero'].join('\n');
  await commitAppImage(docker, image, 'mkdir -p /www /app && echo ok > /www/index.html && printf "%s\\n" "$PROCFILE" > /app/Procfile', [`PROCFILE=${procfile}`]);
  expectOk(await dokku('apps:create', app), 'apps:create');
  expectOk(await dokku('checks:disable', app), 'checks:disable');
  expectOk(await dokku('ps:set', app, 'restart-policy', 'no'), 'ps:set restart-policy');
  expectOk(await dokku('git:from-image', app, image), 'git:from-image');
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  removeRoots();
}, 120_000);

describe('resource limits', () => {
  it('puts a memory limit in force with a release and a deploy, and releases:diff names it', async () => {
    const before = await version();
    const r = await dokku('resource:limit', '--memory', '48', '--pids', '200', app);
    expect(r.code, r.stderr).toBe(0);
    const info = await inspect(`${app}.web.1`);
    expect(info.HostConfig.Memory).toBe(48 * MIB);
    expect(info.HostConfig.PidsLimit).toBe(200);
    expect(await version()).toBe(before + 1);
    const diff = await dokku('releases:diff', app, `v${before}`, `v${before + 1}`);
    expect(diff.stdout).toContain('+ limit _default_ memory=48');
  });

  it('--no-restart records it for the next ps:restart; a process type has its own', async () => {
    expectOk(await dokku('resource:limit', '--process-type', 'web', '--memory', '64', '--no-restart', app), 'limit web');
    expect((await inspect(`${app}.web.1`)).HostConfig.Memory).toBe(48 * MIB);
    expectOk(await dokku('ps:restart', app), 'ps:restart');
    expect((await inspect(`${app}.web.1`)).HostConfig.Memory).toBe(64 * MIB);
    const report = JSON.parse((await dokku('resource:report', app, '--format', 'json')).stdout) as Record<string, string>;
    expect(report).toMatchObject({ 'resource-default-limit-memory': '48', 'resource-web-limit-memory': '64', 'resource-default-limit-pids': '200' });
  });

  it('a process past its limit is killed, and ps:report and logs:failed say so', async () => {
    expectOk(await dokku('ps:scale', app, 'hog=1'), 'ps:scale hog=1');
    const deadline = Date.now() + 90_000;
    let killed = false;
    while (Date.now() < deadline && !killed) {
      await new Promise((r) => setTimeout(r, 1000));
      killed = (await inspect(`${app}.hog.1`)).State.OOMKilled;
    }
    expect(killed, 'hog.1 OOM-killed within 90 s').toBe(true);
    const report = JSON.parse((await dokku('ps:report', app, '--format', 'json')).stdout) as Record<string, string>;
    expect(report['ps-oom-killed']).toMatch(new RegExp(`${app}\\.hog\\.1 \\(exit 137\\)`));
    // With checks on, a deploy whose hog dies that way fails, and logs:failed names the cause.
    expectOk(await dokku('checks:enable', app), 'checks:enable');
    expectOk(await dokku('checks:set', app, 'wait', '20'), 'checks:set wait');
    const failed = await dokku('ps:restart', app);
    expect(failed.code).not.toBe(0);
    const logs = await dokku('logs:failed', app);
    expect(logs.stdout).toContain('killed for passing its memory limit, exit 137');
  }, 180_000);

  it('a rollback restores the limits the release ran with', async () => {
    expectOk(await dokku('checks:disable', app), 'checks:disable');
    expectOk(await dokku('ps:scale', app, 'hog=0'), 'ps:scale hog=0');
    expectOk(await dokku('rollback', app, 'v1'), 'rollback v1');
    expect((await inspect(`${app}.web.1`)).HostConfig.Memory).toBe(0);
    const report = JSON.parse((await dokku('resource:report', app, '--format', 'json')).stdout) as Record<string, string>;
    expect(report['resource-default-limit-memory']).toBe('');
  });
});
