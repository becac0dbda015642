/**
 * What `ps:set` and `logs:set` change, seen in Docker, and the one-off commands around
 * `run:detached`, on the compiled binary against the real engine. One app, deployed once.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-psopts-');
const app = uniqueName('it-psopt');
const dokku = (...words: string[]) => runCli(compiled, root, words);
const image = `dokku-test/it-psopt:${Math.random().toString(36).slice(2, 8)}`;
const broken = `${image}-broken`;
let docker: Docker;

async function makeImage(tagged = image, procfile = 'web: httpd -f -p $PORT -h /www'): Promise<void> {
  const base = await ensureTestImage(docker);
  const script = `mkdir -p /www && echo ok > /www/index.html && echo "$PROCFILE" > /Procfile`;
  const c = await docker.createContainer({ Image: base, Cmd: ['/bin/sh', '-c', script], Env: [`PROCFILE=${procfile}`] });
  try {
    await c.start();
    await c.wait();
    const [repo, tag] = tagged.split(':');
    await c.commit({ _query: { container: c.id, repo, tag, pause: false }, _body: { Cmd: ['/bin/sh'], WorkingDir: '/', Env: ['PATH=/bin'] } } as never);
  } finally {
    await c.remove({ force: true });
  }
}

const web = () => docker.getContainer(`${app}.web.1`).inspect();

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  await makeImage();
  expectOk(await dokku('apps:create', app), 'apps:create');
  expectOk(await dokku('checks:disable', app), 'checks:disable');
  expectOk(await dokku('ps:set', app, 'restart-policy', 'unless-stopped'), 'ps:set restart-policy');
  expectOk(await dokku('ps:set', app, 'stop-timeout-seconds', '7'), 'ps:set stop-timeout-seconds');
  expectOk(await dokku('logs:set', app, 'max-size', '5m'), 'logs:set');
  expectOk(await dokku('git:from-image', app, image), 'git:from-image');
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  await docker?.getImage(broken).remove({ force: true }).catch(() => undefined);
  removeRoots();
}, 120_000);

describe('container options', () => {
  it('makes the web container with the restart policy, stop timeout and log max-size set', async () => {
    const info = await web();
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(7);
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '5m' } });
  });

  it('gives the container DYNO and PORT', async () => {
    const env = (await web()).Config.Env;
    expect(env).toContain('DYNO=web.1');
    expect(env).toContain('PORT=5000');
  });
});

describe('one-off containers', () => {
  it('run --env sets a variable for the command', async () => {
    // The test image's busybox has no printenv applet; the shell prints the variable instead.
    const r = await dokku('run', '--env', 'A=1', app, 'sh', '-c', 'echo "$A"');
    expect([r.code, r.stdout], r.stderr).toEqual([0, '1\n']);
  });

  it('run:detached, then run:list shows it, run:logs prints its output, run:stop stops it', async () => {
    const started = await dokku('run:detached', app, 'sh', '-c', 'echo detached-hello; sleep 60');
    expect(started.code, started.stderr).toBe(0);
    const name = started.stdout.trim();
    expect(name).toMatch(new RegExp(`^${app}\\.run\\.[0-9a-f]+$`));

    const listed = await dokku('run:list', app);
    expect(listed.stdout).toContain(name);
    const json = JSON.parse((await dokku('run:list', app, '--format', 'json')).stdout) as Array<{ name: string; state: string }>;
    expect(json).toEqual([expect.objectContaining({ name, state: 'running' })]);

    let logs = '';
    for (let i = 0; i < 20 && !logs.includes('detached-hello'); i++) {
      logs = (await dokku('run:logs', app, name)).stdout;
      if (!logs.includes('detached-hello')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(logs).toMatch(new RegExp(`app\\[${name.replace(/\./g, '\\.')}\\]: detached-hello`));

    const stopped = await dokku('run:stop', app, name);
    expect([stopped.code, stopped.stdout], stopped.stderr).toEqual([0, `-----> Stopping ${name}\n`]);
    expect(JSON.parse((await dokku('run:list', app, '--format', 'json')).stdout)).toEqual([]);
  }, 120_000);
});

describe('ps:restart --all', () => {
  it('restarts the app: a new web container replaces the old one', async () => {
    const before = (await web()).Id;
    const r = await dokku('ps:restart', '--all');
    expect(r.code, r.stderr).toBe(0);
    const after = await web();
    expect(after.Id).not.toBe(before);
    expect(after.State.Running).toBe(true);
  }, 300_000);
});

describe('logs:failed', () => {
  it("prints the failing container's output of the last failed deploy; the app keeps serving", async () => {
    await makeImage(broken, 'web: echo boom-from-web; exit 3');
    expectOk(await dokku('checks:enable', app), 'checks:enable');
    const failed = await dokku('git:from-image', app, broken);
    expect(failed.code).toBe(1);
    const r = await dokku('logs:failed', app);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^-----> ${app} v2 failed at .*: Deploy of ${app} v2 failed`));
    expect(r.stdout).toContain(': boom-from-web');
    expect((await web()).State.Running).toBe(true);
  }, 300_000);
});
