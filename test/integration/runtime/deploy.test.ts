import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_SETTINGS } from '../../../src/lib/check-settings.ts';
import { DockerLocalScheduler } from '../../../src/runtime/docker-local.ts';
import { DeployError, type DeployRequest } from '../../../src/runtime/scheduler.ts';
import type { CheckSettings, ReleaseSpec, Upstream } from '../../../src/lib/types.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { docker, removeApp, uniqueApp } from './docker.ts';
import { get, requestLoop } from './load.ts';

const app = uniqueApp('rt-deploy');
const checks: CheckSettings = { ...DEFAULT_CHECK_SETTINGS, wait: 1, waitToRetire: 1 };

/** A web "app": writes a page naming its release and config, then serves it with busybox httpd. */
const WEB = 'mkdir -p /tmp/www && echo "$DOKKU_RELEASE_VERSION $GREETING $DYNO" > /tmp/www/index.html && echo "listening on $PORT" && exec httpd -f -v -p $PORT -h /tmp/www';

describe('docker-local deploy', () => {
  const d = docker!;
  const scheduler = new DockerLocalScheduler(d, { stopTimeout: 2 });
  let image = '';
  let upstreams: Upstream[] = [];
  const lines: string[] = [];

  const release = (version: number, over: Partial<ReleaseSpec> = {}): ReleaseSpec => ({
    app,
    version,
    image,
    env: { GREETING: `hello-${version}` },
    processTypes: { web: WEB },
    webPort: 5000,
    healthchecks: {},
    ...over,
  });
  const request = (r: ReleaseSpec, over: Partial<DeployRequest> = {}): DeployRequest => ({
    app,
    release: r,
    formation: { web: 1 },
    checks,
    onLine: (l) => lines.push(l),
    onSwitch: (u) => {
      upstreams = u;
    },
    ...over,
  });

  beforeAll(async () => {
    image = await ensureTestImage(d);
  });
  afterAll(async () => {
    await removeApp(d, app);
  });

  it('deploys v1 and it answers over HTTP on its loopback port', async () => {
    const t0 = performance.now();
    const result = await scheduler.deploy(request(release(1)));
    const seconds = (performance.now() - t0) / 1000;
    console.log(`deploy v1 (busybox httpd, wait=1 s, nothing to retire): ${seconds.toFixed(2)} s`);

    expect(result.upstreams).toHaveLength(1);
    expect(result.upstreams).toEqual(upstreams);
    const [u] = upstreams;
    expect(u).toMatchObject({ processType: 'web', containerName: `${app}.web.1`, host: '127.0.0.1' });
    expect((await get(u!.host, u!.port)).body.trim()).toBe('v1 hello-1 web.1');

    const status = await scheduler.status(app);
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ name: `${app}.web.1`, processType: 'web', index: 1, release: 1, state: 'running', hostPort: u!.port });
    expect(lines).toContain(`-----> Switched traffic to v1: 127.0.0.1:${u!.port}`);
    expect(lines.some((l) => l.startsWith('       web.1: running for 1 s'))).toBe(true);
  });

  it('deploys v2 with zero failed requests while traffic follows the switch', async () => {
    const before = await scheduler.status(app);
    const load = requestLoop(upstreams);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await scheduler.deploy(request(release(2), { onSwitch: (u) => { upstreams = u; load.switchTo(u); } }));
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    console.log(`redeploy v1→v2 under load: ${seconds.toFixed(2)} s, ${result.ok} ok, ${result.failed} failed`);

    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    expect(result.bodies).toEqual(new Set(['v1 hello-1 web.1', 'v2 hello-2 web.1']));
    const after = await scheduler.status(app);
    expect(after.map((c) => [c.name, c.release])).toEqual([[`${app}.web.1`, 2]]);
    expect(after[0]!.id).not.toBe(before[0]!.id);
    expect((await get('127.0.0.1', upstreams[0]!.port)).body.trim()).toBe('v2 hello-2 web.1');
  });

  it('does not switch to a process that has not opened its port yet', async () => {
    const slow = release(9, { processTypes: { web: `echo "booting"; sleep 2; ${WEB}` } });
    let firstAnswer = '';
    const t0 = performance.now();
    await scheduler.deploy(request(slow, {
      checks: { ...checks, wait: 0.2, waitToRetire: 0 },
      onSwitch: async (u) => {
        upstreams = u;
        firstAnswer = await get(u[0]!.host, u[0]!.port).then((r) => r.body.trim(), (e: Error) => e.message);
      },
    }));
    expect(firstAnswer).toBe('v9 hello-9 web.1');
    expect(performance.now() - t0).toBeGreaterThan(2000);
  });

  it('keeps the old release serving when the new one crashes, and quotes its log', async () => {
    const before = await scheduler.status(app);
    let switched = false;
    const crashing = release(3, { processTypes: { web: 'echo "booting v3"; echo "fatal: DATABASE_URL is not set" >&2; exit 1' } });
    const err = await scheduler.deploy(request(crashing, { onSwitch: () => { switched = true; } })).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DeployError);
    const e = err as DeployError;
    expect(e.exitCode).toBe(1);
    expect(e.phase).toBe('checks');
    expect(e.message).toMatch(/^Deploy of rt-deploy-\S+ v3 failed: check failed for web\.1: (exited with code 1|crashed and was restarted)/);
    expect(e.logTail).toContain('fatal: DATABASE_URL is not set');
    expect(e.message).toContain('fatal: DATABASE_URL is not set');
    expect(switched).toBe(false);
    expect(await scheduler.status(app)).toEqual(before);
    expect((await get('127.0.0.1', upstreams[0]!.port)).body.trim()).toBe('v9 hello-9 web.1');
  });

  it('fails an app.json HTTP check that never sees its content, leaving nothing behind', async () => {
    const before = await scheduler.status(app);
    const r = release(4, { healthchecks: { web: [{ type: 'startup', name: 'ready', path: '/', content: 'READY', attempts: 2, wait: 0.2, timeout: 1 }] } });
    const err = (await scheduler.deploy(request(r)).catch((e: unknown) => e)) as DeployError;
    expect(err).toBeInstanceOf(DeployError);
    expect(err.message).toContain('ready (GET /) failed 2 times: response does not contain "READY"');
    expect(err.logTail).toContain('listening on 5000');
    expect(await scheduler.status(app)).toEqual(before);
  });

  it('passes app.json HTTP checks that find their content', async () => {
    const r = release(5, { healthchecks: { web: [{ type: 'startup', name: 'home', path: '/', content: 'hello-5' }] } });
    await scheduler.deploy(request(r));
    expect(lines).toContain('       web.1: home passed (GET /)');
    expect((await get('127.0.0.1', upstreams[0]!.port)).body.trim()).toBe('v5 hello-5 web.1');
  });

  it('runs the Procfile release command once before the switch, and a failing one aborts', async () => {
    lines.length = 0;
    const ok = release(6, { processTypes: { web: WEB, release: 'echo "migrating for $DOKKU_RELEASE_VERSION"' } });
    await scheduler.deploy(request(ok));
    expect(lines).toContain('       migrating for v6');
    expect(lines.findIndex((l) => l.includes('migrating for v6'))).toBeLessThan(lines.findIndex((l) => l.startsWith('-----> Starting v6')));

    const before = await scheduler.status(app);
    const bad = release(7, { processTypes: { web: WEB, release: 'echo "migration 42 failed" >&2; exit 4' } });
    const err = (await scheduler.deploy(request(bad)).catch((e: unknown) => e)) as DeployError;
    expect(err).toBeInstanceOf(DeployError);
    expect(err.message).toContain('release command exited with code 4');
    expect(err.phase).toBe('release');
    expect(err.logTail).toEqual(['migration 42 failed']);
    expect(await scheduler.status(app)).toEqual(before);
    expect((await d.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`, 'com.dokku.one-off=true'] } }))).toEqual([]);
  });

  it('removes the new containers and keeps the old when the switch itself fails', async () => {
    const before = await scheduler.status(app);
    const err = await scheduler.deploy(request(release(8), { onSwitch: () => { throw new Error('nginx -t failed'); } })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('nginx -t failed');
    expect(await scheduler.status(app)).toEqual(before);
  });

  it('restarts with zero downtime, new containers for the same release', async () => {
    const before = await scheduler.status(app);
    const result = await scheduler.restart(request(release(6, { processTypes: { web: WEB } })));
    expect(result.containers).toHaveLength(1);
    expect(result.containers[0]!.id).not.toBe(before[0]!.id);
    expect(result.containers[0]!.name).toBe(`${app}.web.1`);
  });

  it('destroy removes every container of the app', async () => {
    await scheduler.destroy(app);
    expect(await scheduler.status(app)).toEqual([]);
    expect(await d.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } })).toEqual([]);
  });
});
