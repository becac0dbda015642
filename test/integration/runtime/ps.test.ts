import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_SETTINGS } from '../../../src/lib/check-settings.ts';
import { DockerLocalScheduler } from '../../../src/runtime/docker-local.ts';
import { NoSuchContainerError, type DeployRequest, type LogLine } from '../../../src/runtime/scheduler.ts';
import type { ReleaseSpec, Upstream } from '../../../src/lib/types.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { MASK, sanitizeInspect } from '../../../src/runtime/inspect-sanitize.ts';
import { docker, removeApp, uniqueApp } from './docker.ts';
import { get } from './load.ts';

const app = uniqueApp('rt-ps');
const WEB = 'mkdir -p /tmp/www && echo "$GREETING from $DYNO" > /tmp/www/index.html && echo "web $DYNO listening on $PORT" && exec httpd -f -p $PORT -h /tmp/www';
const WORKER = 'echo "worker $DYNO up"; echo "worker warning" >&2; exec sleep 3600';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('docker-local processes', () => {
  const d = docker!;
  const scheduler = new DockerLocalScheduler(d, { stopTimeout: 2 });
  let release: ReleaseSpec;
  let switched: Upstream[][] = [];
  const request = (formation: Record<string, number>): DeployRequest => ({
    app,
    release,
    formation,
    checks: { ...DEFAULT_CHECK_SETTINGS, wait: 0.5, waitToRetire: 0 },
    onSwitch: (u) => {
      switched.push(u);
    },
  });

  beforeAll(async () => {
    release = {
      app,
      version: 1,
      image: await ensureTestImage(d),
      env: { GREETING: 'hi' },
      processTypes: { web: WEB, worker: WORKER },
      webPort: 5000,
      healthchecks: {},
    };
    await scheduler.deploy(request({ web: 1, worker: 1 }));
  });
  afterAll(async () => {
    await removeApp(d, app);
  });

  it("inspect gives Docker's description of each container; sanitized, config values are masked and DYNO and PORT shown", async () => {
    const described = (await scheduler.inspect(app)) as Array<{ Name: string; Config: { Env: string[] } }>;
    expect(described.map((d) => d.Name).sort()).toEqual([`/${app}.web.1`, `/${app}.worker.1`]);
    const web = sanitizeInspect(described.find((d) => d.Name === `/${app}.web.1`)) as { Config: { Env: string[] } };
    expect(web.Config.Env).toContain(`GREETING=${MASK}`);
    expect(web.Config.Env).toContain('DYNO=web.1');
    expect(web.Config.Env).toContain('PORT=5000');
    expect(JSON.stringify(web)).not.toContain('=hi"');
    // The unsanitized data still has the value: the masking is the copy's.
    expect(described.find((d) => d.Name === `/${app}.web.1`)!.Config.Env).toContain('GREETING=hi');
  });

  it('scales web to 2: two running containers, and the new upstream list goes through onSwitch', async () => {
    switched = [];
    const result = await scheduler.scale(request({ web: 2, worker: 1 }));
    const web = result.containers.filter((c) => c.processType === 'web');
    expect(web.map((c) => [c.name, c.state])).toEqual([[`${app}.web.1`, 'running'], [`${app}.web.2`, 'running']]);
    expect(switched).toHaveLength(1);
    expect(switched[0]!.map((u) => u.containerName)).toEqual([`${app}.web.1`, `${app}.web.2`]);
    const bodies = await Promise.all(switched[0]!.map((u) => get(u.host, u.port)));
    expect(bodies.map((b) => b.body.trim())).toEqual(['hi from web.1', 'hi from web.2']);
  });

  it('scales down without touching the containers that stay', async () => {
    const before = await scheduler.status(app);
    switched = [];
    await scheduler.scale(request({ web: 1, worker: 0 }));
    const after = await scheduler.status(app);
    expect(after.map((c) => c.name)).toEqual([`${app}.web.1`]);
    expect(after[0]!.id).toBe(before.find((c) => c.name === `${app}.web.1`)!.id);
    expect(switched.map((s) => s.map((u) => u.containerName))).toEqual([[`${app}.web.1`]]);
    // Scaling a worker alone does not touch traffic.
    switched = [];
    await scheduler.scale(request({ web: 1, worker: 1 }));
    expect(switched).toEqual([]);
  });

  it('shows the output of every process with its dyno name, and only one type when asked', async () => {
    const lines: LogLine[] = [];
    await scheduler.logs(app, {}, (l) => lines.push(l));
    expect(lines).toContainEqual(expect.objectContaining({ dyno: 'web.1', stream: 'stdout', text: 'web web.1 listening on 5000' }));
    expect(lines).toContainEqual(expect.objectContaining({ dyno: 'worker.1', stream: 'stdout', text: 'worker worker.1 up' }));
    expect(lines).toContainEqual(expect.objectContaining({ dyno: 'worker.1', stream: 'stderr', text: 'worker warning' }));
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT/.test(l.time))).toBe(true);

    const workerOnly: LogLine[] = [];
    await scheduler.logs(app, { processType: 'worker', tail: 1 }, (l) => workerOnly.push(l));
    expect(workerOnly.map((l) => l.dyno)).toEqual(['worker.1']);
  });

  it('follows logs until aborted', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const following = scheduler.logs(app, { follow: true, tail: 0, processType: 'web', signal: controller.signal }, (l) => seen.push(l.text));
    await new Promise((r) => setTimeout(r, 200));
    const code = await scheduler.enter(app, 'web', 1, ['sh', '-c', 'echo "from enter" > /proc/1/fd/1'], { stdout: new PassThrough(), stderr: new PassThrough(), tty: false });
    expect(code).toBe(0);
    const until = Date.now() + 3000;
    while (!seen.includes('from enter') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await following;
    expect(seen).toContain('from enter');
  });

  it('run passes the exit code through and removes its container', async () => {
    const out = collect();
    const code = await scheduler.run(app, release, ['sh', '-c', 'echo "$GREETING in $DYNO"; exit 3'], { stdout: out.stream, stderr: new PassThrough(), tty: false });
    expect(code).toBe(3);
    expect(out.text()).toMatch(/^hi in run\.[0-9a-f]{6}\n$/);
    expect(await d.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`, 'com.dokku.one-off=true'] } })).toEqual([]);
  });

  it('run takes stdin, keeps stderr apart, and passes arguments without a shell', async () => {
    const out = collect();
    const err = collect();
    const code = await scheduler.run(app, release, ['sh', '-c', 'cat; echo "$1" >&2', 'sh', '$GREETING; not expanded'], {
      stdin: Readable.from([Buffer.from('line from stdin\n')]),
      stdout: out.stream,
      stderr: err.stream,
      tty: false,
      env: { EXTRA: '1' },
    });
    expect(code).toBe(0);
    expect(out.text()).toBe('line from stdin\n');
    expect(err.text()).toBe('$GREETING; not expanded\n');
  });

  it('run with a TTY gives the command a terminal', async () => {
    const out = collect();
    const code = await scheduler.run(app, release, ['sh', '-c', 'test -t 1 && echo tty'], { stdout: out.stream, stderr: out.stream, tty: true });
    expect(code).toBe(0);
    expect(out.text().trim()).toBe('tty');
  });

  it('enter runs in the named running container and reports its exit code', async () => {
    const out = collect();
    expect(await scheduler.enter(app, 'worker', 1, ['sh', '-c', 'echo $DYNO; exit 5'], { stdout: out.stream, stderr: new PassThrough(), tty: false })).toBe(5);
    expect(out.text()).toBe('worker.1\n');
    await expect(scheduler.enter(app, 'worker', 9, [], { stdout: new PassThrough(), stderr: new PassThrough(), tty: false })).rejects.toBeInstanceOf(NoSuchContainerError);
  });

  it('stop stops every process; start brings them back on the same loopback port', async () => {
    const before = await scheduler.upstreams(app);
    await scheduler.stop(app);
    expect((await scheduler.status(app)).map((c) => c.state)).toEqual(['exited', 'exited']);
    expect(await scheduler.upstreams(app)).toEqual([]);
    const after = await scheduler.start(app);
    expect(after).toEqual(before);
    expect((await scheduler.status(app)).map((c) => c.state)).toEqual(['running', 'running']);
    // start() returns once Docker has started the containers; httpd may take a moment to listen.
    const until = Date.now() + 5000;
    let body = '';
    while (Date.now() < until && body !== 'hi from web.1') {
      body = await get(after[0]!.host, after[0]!.port).then((r) => r.body.trim(), () => '');
      if (body !== 'hi from web.1') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hi from web.1');
  });

  it('keeps a crashed web container on its port when Docker restarts it', async () => {
    const [before] = await scheduler.upstreams(app);
    const [web] = (await scheduler.status(app)).filter((c) => c.processType === 'web');
    // Kill httpd inside (not the container's init): the restart policy brings it back.
    await scheduler.enter(app, 'web', 1, ['sh', '-c', 'kill -9 $(pidof httpd)'], { stdout: new PassThrough(), stderr: new PassThrough(), tty: false });
    const until = Date.now() + 10_000;
    let restarts = 0;
    while (Date.now() < until) {
      const info = await d.getContainer(web!.id).inspect();
      restarts = info.RestartCount;
      if (restarts > 0 && info.State.Running && !info.State.Restarting) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(restarts).toBeGreaterThan(0);
    const [after] = await scheduler.upstreams(app);
    expect(after).toEqual(before);
    const until2 = Date.now() + 5000;
    let body = '';
    while (Date.now() < until2) {
      body = await get(after!.host, after!.port).then((r) => r.body.trim(), () => '');
      if (body) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hi from web.1');
  });

  it('destroy removes every container, one-offs included', async () => {
    const lingering = await d.createContainer({ Image: release.image, Cmd: ['sleep', '60'], Labels: { 'com.dokku.app': app, 'com.dokku.process-type': 'run', 'com.dokku.one-off': 'true', 'com.dokku.release': '1' } });
    await lingering.start();
    await scheduler.destroy(app);
    expect(await d.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } })).toEqual([]);
  });
});
