import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_SETTINGS } from '../../../src/lib/check-settings.ts';
import { DockerLocalScheduler, type RetireJob } from '../../../src/runtime/docker-local.ts';
import type { DeployRequest } from '../../../src/runtime/scheduler.ts';
import type { ReleaseSpec, Upstream } from '../../../src/lib/types.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { docker, removeApp, uniqueApp } from './docker.ts';
import { get, requestLoop } from './load.ts';

const app = uniqueApp('rt-retire');
const WEB = 'mkdir -p /tmp/www && echo "$DOKKU_RELEASE_VERSION" > /tmp/www/index.html && exec httpd -f -p $PORT -h /tmp/www';

/**
 * With `retireLater`, a deploy returns once traffic has switched: the new containers already have
 * the final names, the old ones keep serving under `.retiring-` names until `retireContainers`.
 */
describe('docker-local retirement after the deploy returns', () => {
  const d = docker!;
  const jobs: RetireJob[] = [];
  const scheduler = new DockerLocalScheduler(d, { stopTimeout: 2, retireLater: (job) => jobs.push(job) });
  let image = '';
  let upstreams: Upstream[] = [];

  const release = (version: number): ReleaseSpec => ({ app, version, image, env: {}, processTypes: { web: WEB }, webPort: 5000, healthchecks: {} });
  const request = (version: number, over: Partial<DeployRequest> = {}): DeployRequest => ({
    app,
    release: release(version),
    formation: { web: 1 },
    checks: { ...DEFAULT_CHECK_SETTINGS, wait: 0.5, waitToRetire: 3 },
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

  it('hands the old containers over instead of waiting for them, and names the new ones at once', async () => {
    await scheduler.deploy(request(1));
    expect(jobs).toEqual([]);
    const [v1] = await scheduler.status(app);

    const load = requestLoop(upstreams);
    const lines: string[] = [];
    const t0 = performance.now();
    const result = await scheduler.deploy(request(2, { onLine: (l) => lines.push(l), onSwitch: (u) => { upstreams = u; load.switchTo(u); } }));
    const seconds = (performance.now() - t0) / 1000;

    expect(seconds).toBeLessThan(3);
    expect(jobs).toEqual([{ app, containerIds: [v1!.id], waitSeconds: 3 }]);
    expect(lines).toContain('-----> Retiring 1 old container in 3 s, in the background');
    expect(result.containers.map((c) => [c.name, c.release])).toEqual([[`${app}.web.1`, 2]]);
    const all = await scheduler.status(app);
    expect(all.map((c) => [c.name.replace(/-[0-9a-f]{6}$/, '-TOKEN'), c.release, c.state])).toEqual([
      [`${app}.web.1`, 2, 'running'],
      [`${app}.web.1.retiring-TOKEN`, 1, 'running'],
    ]);

    // The old container still answers requests that were sent its way, until it is retired.
    expect((await get('127.0.0.1', v1!.hostPort!)).body.trim()).toBe('v1');
    await scheduler.retireContainers(app, jobs[0]!.containerIds, 0);
    const result2 = await load.stop();
    expect(result2.errors).toEqual([]);
    expect((await scheduler.status(app)).map((c) => c.release)).toEqual([2]);
    expect((await get('127.0.0.1', upstreams[0]!.port)).body.trim()).toBe('v2');
  });

  it('retires only containers that are still the app\'s, after the wait', async () => {
    const [current] = await scheduler.status(app);
    const t0 = performance.now();
    await scheduler.retireContainers('some-other-app', [current!.id], 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await scheduler.status(app)).map((c) => c.id)).toEqual([current!.id]);
    await scheduler.retireContainers(app, ['0'.repeat(64)], 0);
    expect((await scheduler.status(app)).map((c) => c.state)).toEqual(['running']);
  });

  it('scales only the release it is given, not containers still waiting to retire', async () => {
    const [v2] = await scheduler.status(app);
    await scheduler.deploy(request(3));
    const job = jobs.at(-1)!;
    expect(job.containerIds).toEqual([v2!.id]);
    await scheduler.scale(request(3, { formation: { web: 2 } }));
    const web = (await scheduler.status(app)).filter((c) => c.release === 3);
    expect(web.map((c) => c.name)).toEqual([`${app}.web.1`, `${app}.web.2`]);
    expect(upstreams.map((u) => u.containerName)).toEqual([`${app}.web.1`, `${app}.web.2`]);
    await scheduler.retireContainers(app, job.containerIds, 0);
    expect((await scheduler.status(app)).map((c) => c.release)).toEqual([3, 3]);
  });
});
