import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploySource } from '../../../src/app/deploy.ts';
import { imageTagFor } from '../../../src/app/pipeline.ts';
import { lockApp } from '../../../src/app/recovery.ts';
import { appStream } from '../../../src/state/events.ts';
import { DeployError } from '../../../src/runtime/scheduler.ts';
import { getRuntime, lastDeployFailure, listBuilds, listReleases, loadReleaseState } from '../../../src/state/release-queries.ts';
import { fakePipeline, type FakePipeline } from '../../helpers/fake-pipeline.ts';

let f: FakePipeline;
const image = { kind: 'image' as const, image: 'example/shop:1' };
const version = () => f.p.store.version(appStream(f.app.id));
/** Lets the pipeline run up to where a fake hangs (every fake step is a few microtasks). */
const settle = () => new Promise((r) => setTimeout(r, 20));

beforeEach(async () => {
  f = await fakePipeline();
});

afterEach(async () => f.close());

describe('deploySource on fakes', () => {
  it('builds, releases, switches, then records the deploy; the lock is released', async () => {
    const release = await deploySource(f.p, f.app, image);
    expect(release.version).toBe(1);
    expect(f.typesSince(1)).toEqual(['BuildStarted', 'BuildSucceeded', 'ReleaseCreated', 'Scaled', 'DeployStarted', 'TrafficSwitched', 'DeploySucceeded']);
    expect(loadReleaseState(f.p.store.db, f.app.id).current).toBe(1);
    expect(getRuntime(f.p.store.db, f.app.id).upstreams.map((u) => u.port)).toEqual([40_001]);
    expect(f.builder.builds[0]!.imageTag).toBe(imageTagFor('shop', 1));
    expect(f.lines).toContain('       http://shop.example.test');
    expect(f.lock.held.size).toBe(0);
    expect(f.lock.released).toBe(f.lock.taken);
  });

  it('a failed build records BuildFailed, removes its image, creates no release, and releases the lock', async () => {
    f.builder.mode = 'fail';
    const before = version();
    await expect(deploySource(f.p, f.app, image)).rejects.toThrow('compile failed');
    expect(f.typesSince(before)).toEqual(['BuildStarted', 'BuildFailed']);
    const [build] = listBuilds(f.p.store.db, f.app.id);
    expect(build).toMatchObject({ number: 1, status: 'failed', reason: 'compile failed: npm ERR!' });
    expect(f.builder.removed).toEqual([imageTagFor('shop', 1)]);
    expect(listReleases(f.p.store.db, f.app.id)).toEqual([]);
    expect(f.scheduler.deploys).toEqual([]);
    expect(f.lock.held.size).toBe(0);
  });

  it('failed checks record DeployFailed and leave the old release current and serving', async () => {
    await deploySource(f.p, f.app, image);
    f.scheduler.mode = 'fail-checks';
    const before = version();
    const err = await deploySource(f.p, f.app, image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect(f.typesSince(before)).toEqual(['BuildStarted', 'BuildSucceeded', 'ReleaseCreated', 'DeployStarted', 'DeployFailed']);
    const [v2, v1] = listReleases(f.p.store.db, f.app.id);
    expect(v2).toMatchObject({ version: 2, status: 'failed' });
    expect(v1).toMatchObject({ version: 1, status: 'deployed' });
    expect(loadReleaseState(f.p.store.db, f.app.id).current).toBe(1);
    expect(getRuntime(f.p.store.db, f.app.id).upstreams.map((u) => u.port)).toEqual([40_001]);
    expect(f.scheduler.undone).toEqual([2]);
    expect(f.lock.held.size).toBe(0);
    // logs:failed reads the failing container's last lines back from the log.
    expect(lastDeployFailure(f.p.store.db, f.app.id)).toMatchObject({
      version: 2,
      reason: 'Deploy of shop v2 failed: check failed for web.1: connection refused',
      container: 'shop.web.1',
      output: ['listening on 4000', 'Error: wrong port'],
    });
  });

  it('a switch the proxy refuses records nothing as switched and fails the deploy', async () => {
    await deploySource(f.p, f.app, image);
    f.proxy.refuse = true;
    const before = version();
    await expect(deploySource(f.p, f.app, image)).rejects.toThrow('invalid configuration');
    const types = f.typesSince(before);
    expect(types).not.toContain('TrafficSwitched');
    expect(types.slice(-2)).toEqual(['DeployStarted', 'DeployFailed']);
    expect(loadReleaseState(f.p.store.db, f.app.id).current).toBe(1);
    expect(getRuntime(f.p.store.db, f.app.id).upstreams.map((u) => u.port)).toEqual([40_001]);
    expect(f.scheduler.undone).toEqual([2]);
    expect(f.lock.held.size).toBe(0);
  });

  it('the first deploy refused by the proxy leaves nothing current', async () => {
    f.proxy.refuse = true;
    await expect(deploySource(f.p, f.app, image)).rejects.toThrow();
    expect(loadReleaseState(f.p.store.db, f.app.id).current).toBeUndefined();
    expect(getRuntime(f.p.store.db, f.app.id).upstreams).toEqual([]);
    expect(f.lock.held.size).toBe(0);
  });

  it('a second deploy while one holds the lock is turned away without recording anything', async () => {
    f.scheduler.mode = 'hang';
    void deploySource(f.p, f.app, image);
    await settle();
    // The first deploy's process is another one: its lock is held elsewhere, not re-entered.
    f.lock.holdElsewhere('shop');
    const before = version();
    await expect(deploySource(f.p, f.app, image)).rejects.toThrow('being deployed');
    expect(version()).toBe(before);
  });
});

describe('a deploy killed between steps', () => {
  it('killed mid-build: the next lock, taken over from the dead holder, marks the build failed', async () => {
    f.builder.mode = 'hang';
    void deploySource(f.p, f.app, image);
    await settle();
    expect(listBuilds(f.p.store.db, f.app.id)[0]!.status).toBe('running');
    f.lock.die('shop', 4242);
    f.builder.leftoversRemoved = [];
    const before = version();
    const lock = await lockApp(f.p, f.app);
    lock.release();
    expect(f.typesSince(before)).toEqual(['BuildFailed']);
    expect(listBuilds(f.p.store.db, f.app.id)[0]).toMatchObject({ status: 'failed', reason: 'interrupted: process 4242 died' });
    expect(f.builder.leftoversRemoved).toEqual([{ app: 'shop', everyBuild: true }]);
    expect(f.lines.some((l) => l.includes('build 1 of shop was interrupted: process 4242 died; marked failed'))).toBe(true);
    expect(f.lock.held.size).toBe(0);
  });

  it('killed before the switch: the interrupted deploy is marked failed, the old release stays current', async () => {
    await deploySource(f.p, f.app, image);
    f.scheduler.mode = 'hang';
    void deploySource(f.p, f.app, image);
    await settle();
    expect(listReleases(f.p.store.db, f.app.id)[0]).toMatchObject({ version: 2, status: 'deploying' });
    f.lock.die('shop', 99);
    const before = version();
    (await lockApp(f.p, f.app)).release();
    expect(f.typesSince(before)).toEqual(['DeployFailed']);
    expect(listReleases(f.p.store.db, f.app.id)[0]).toMatchObject({ version: 2, status: 'failed' });
    expect(loadReleaseState(f.p.store.db, f.app.id).current).toBe(1);
    // The new containers go, except any already serving (none: traffic never switched).
    expect(f.scheduler.interruptedRemoved).toEqual([{ app: 'shop', ports: [40_001] }]);
    expect(f.lock.held.size).toBe(0);
  });

  it('a lock taken normally after a clean deploy marks nothing', async () => {
    await deploySource(f.p, f.app, image);
    const before = version();
    (await lockApp(f.p, f.app)).release();
    expect(version()).toBe(before);
    expect(f.scheduler.interruptedRemoved).toEqual([]);
  });
});
