import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { appStream, GLOBAL_STREAM, type DomainEvent, type ReleaseData } from '../../../src/state/events.ts';
import { decideRelease, defaultFormation } from '../../../src/state/release-decider.ts';
import { loadReleaseState, releaseContext } from '../../../src/state/release-queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import type { BuildResult } from '../../../src/lib/types.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const build = (image: string, processTypes: Record<string, string> = { web: 'node server.js' }): BuildResult => ({
  imageId: image,
  imageTag: `dokku/app:${image}`,
  builder: 'herokuish',
  buildpack: 'nodejs',
  processTypes,
  exposedPorts: [],
  appJson: { healthchecks: {} },
  seconds: 1,
});

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
});
afterEach(() => store.db.close());

const STREAM = appStream('a1');

/** An app with global config REGION=eu; each decision is made on the state the projections hold, and recorded. */
function world() {
  store.append(STREAM, 0, [{ type: 'AppCreated', data: { name: 'app' } }], 't');
  store.append(GLOBAL_STREAM, 0, [{ type: 'ConfigSet', data: { vars: { REGION: 'eu' } } }], 't');
  const apply = (events: DomainEvent[]) => {
    if (events.length) store.append(STREAM, store.version(STREAM), events, 't');
    return events;
  };
  const decide = (c: Parameters<typeof decideRelease>[0]) => apply(decideRelease(c, loadReleaseState(store.db, 'a1'), releaseContext(store.db, 'a1')));
  const deployBuild = (image: string, ok = true) => {
    const [started] = decide({ type: 'build:start', source: 'archive' });
    const n = (started!.data as { build: number }).build;
    decide({ type: 'build:succeed', build: n, result: build(image) });
    const created = decide({ type: 'release:from-build', build: n, result: build(image), sha: 'abcdef1234567' });
    const v = (created[0]!.data as ReleaseData).version;
    apply([ok ? { type: 'DeploySucceeded', data: { version: v, containers: [] } } : { type: 'DeployFailed', data: { version: v, reason: 'x' } }]);
    return v;
  };
  return { get state() { return loadReleaseState(store.db, 'a1'); }, decide, apply, deployBuild };
}

describe('release decider', () => {
  it('numbers builds and releases, describes deploys by short sha, and gives web one container', () => {
    const w = world();
    const [started] = w.decide({ type: 'build:start', source: 'git', sha: 'abcdef1234567' });
    expect(started).toEqual({ type: 'BuildStarted', data: { build: 1, source: 'git', sha: 'abcdef1234567' } });
    const events = w.decide({ type: 'release:from-build', build: 1, result: build('img1', { web: 'a', worker: 'b', release: 'c' }), sha: 'abcdef1234567' });
    expect(events[0]).toMatchObject({ type: 'ReleaseCreated', data: { version: 1, description: 'Deploy abcdef1', env: { REGION: 'eu' }, webPort: 5000 } });
    expect(events[1]).toEqual({ type: 'Scaled', data: { formation: { web: 1, worker: 0 } } });
  });

  it('records every EXPOSEd port when there are several; the projection and a rollback keep them', () => {
    const w = world();
    const [started] = w.decide({ type: 'build:start', source: 'archive' });
    const n = (started!.data as { build: number }).build;
    const result = { ...build('img2'), exposedPorts: [3000, 3003] };
    const [created] = w.decide({ type: 'release:from-build', build: n, result });
    expect(created!.data).toMatchObject({ webPort: 3000, exposedPorts: [3000, 3003] });
    w.apply([{ type: 'DeploySucceeded', data: { version: 1, containers: [] } }]);
    expect(w.state.current).toBe(1);
    w.deployBuild('img3');
    const [rollback] = w.decide({ type: 'release:rollback', target: 1 });
    expect(rollback!.data).toMatchObject({ version: 3, webPort: 3000, exposedPorts: [3000, 3003], rollbackOf: 1 });
    const [single] = w.decide({ type: 'release:from-build', build: n, result: { ...build('img4'), exposedPorts: [7000] } });
    expect(single!.data).toMatchObject({ webPort: 7000 });
    expect(single!.data).not.toHaveProperty('exposedPorts');
  });

  it('refuses to build a locked app', () => {
    const w = world();
    w.apply([{ type: 'AppLocked', data: {} }]);
    expect(() => w.decide({ type: 'build:start', source: 'archive' })).toThrow(/locked/);
  });

  it('config changes on a deployed app create a release with the new snapshot; before a deploy, or with --no-restart, they do not', () => {
    const w = world();
    const before = w.decide({ type: 'config:change', command: { type: 'config:set', vars: { A: '1' } }, restart: true });
    expect(before.map((e) => e.type)).toEqual(['ConfigSet']);
    w.deployBuild('img1');
    const deferred = w.decide({ type: 'config:change', command: { type: 'config:set', vars: { B: '2' } }, restart: false });
    expect(deferred.map((e) => e.type)).toEqual(['ConfigSet']);
    const now = w.decide({ type: 'config:change', command: { type: 'config:unset', keys: ['A'] }, restart: true });
    expect(now.map((e) => e.type)).toEqual(['ConfigUnset', 'ReleaseCreated']);
    expect(now[1]!.data).toMatchObject({ version: 2, image: 'img1', config: { B: '2' }, env: { REGION: 'eu', B: '2' }, description: 'Unset A' });
    expect(w.decide({ type: 'config:change', command: { type: 'config:set', vars: { B: '2' } }, restart: true })).toEqual([]);
  });

  it('rollback defaults to the previous successful release, restores its config, and says so', () => {
    const w = world();
    w.decide({ type: 'config:change', command: { type: 'config:set', vars: { MESSAGE: 'one' } }, restart: true });
    const v1 = w.deployBuild('img1');
    w.deployBuild('img2', false); // v2 failed
    w.decide({ type: 'config:change', command: { type: 'config:set', vars: { MESSAGE: 'two', EXTRA: 'x' } }, restart: true });
    w.apply([{ type: 'DeploySucceeded', data: { version: 3, containers: [] } }]);
    const events = w.decide({ type: 'release:rollback' });
    expect(events.map((e) => e.type)).toEqual(['ConfigUnset', 'ConfigSet', 'ReleaseCreated']);
    expect(events[0]!.data).toEqual({ keys: ['EXTRA'] });
    expect(events[1]!.data).toEqual({ vars: { MESSAGE: 'one' } });
    expect(events[2]!.data).toMatchObject({ version: 4, image: 'img1', rollbackOf: v1, description: `Rollback to v${v1}`, config: { MESSAGE: 'one' } });
  });

  it("the source's nginx template goes with its release: a config change keeps it, a rollback restores it", () => {
    const w = world();
    const deploy = (image: string, nginxTemplate?: string) => {
      const [started] = w.decide({ type: 'build:start', source: 'archive' });
      const n = (started!.data as { build: number }).build;
      const result = { ...build(image), ...(nginxTemplate !== undefined ? { nginxTemplate } : {}) };
      const v = (w.decide({ type: 'release:from-build', build: n, result })[0]!.data as ReleaseData).version;
      w.apply([{ type: 'DeploySucceeded', data: { version: v, containers: [] } }]);
      return v;
    };
    const v1 = deploy('img1', 'server { one; }');
    const changed = w.decide({ type: 'config:change', command: { type: 'config:set', vars: { A: '1' } }, restart: true });
    expect(changed[1]!.data).toMatchObject({ version: 2, nginxTemplate: 'server { one; }' });
    w.apply([{ type: 'DeploySucceeded', data: { version: 2, containers: [] } }]);
    deploy('img2');
    expect(releaseContext(store.db, 'a1').release(3)!.nginxTemplate).toBeUndefined();
    const back = w.decide({ type: 'release:rollback', target: v1 }).find((e) => e.type === 'ReleaseCreated')!;
    expect(back.data).toMatchObject({ rollbackOf: v1, nginxTemplate: 'server { one; }' });
    expect(releaseContext(store.db, 'a1').release(4)!.nginxTemplate).toBe('server { one; }');
  });

  it('refuses rollbacks that cannot work, with reasons', () => {
    const w = world();
    expect(() => w.decide({ type: 'release:rollback' })).toThrow(/no deployed release/);
    w.deployBuild('img1');
    expect(() => w.decide({ type: 'release:rollback' })).toThrow(/No earlier successful release/);
    expect(() => w.decide({ type: 'release:rollback', target: 1 })).toThrow(/already the current/);
    expect(() => w.decide({ type: 'release:rollback', target: 9 })).toThrow(/v9 does not exist/);
    w.deployBuild('img2');
    w.apply([{ type: 'ReleaseImagesPruned', data: { versions: [1] } }]);
    expect(() => w.decide({ type: 'release:rollback', target: 1 })).toThrow(UserError);
    expect(() => w.decide({ type: 'release:rollback', target: 1 })).toThrow(/pruned/);
  });

  it('scale accepts only Procfile types and sane quantities, and records only changes', () => {
    const w = world();
    w.deployBuild('img1');
    expect(() => w.decide({ type: 'ps:scale', formation: { worker: 1 } })).toThrow(/not in the Procfile \(web\)/);
    expect(() => w.decide({ type: 'ps:scale', formation: { web: 101 } })).toThrow(/0 to 100/);
    expect(w.decide({ type: 'ps:scale', formation: { web: 1 } })).toEqual([]);
    expect(w.decide({ type: 'ps:scale', formation: { web: 3 } })).toEqual([{ type: 'Scaled', data: { formation: { web: 3 } } }]);
    expect(w.state.formation).toEqual({ web: 3 });
  });

  it('stop and start are idempotent', () => {
    const w = world();
    expect(w.decide({ type: 'ps:start' })).toEqual([]);
    expect(w.decide({ type: 'ps:stop' })).toEqual([{ type: 'ProcessesStopped', data: {} }]);
    expect(w.decide({ type: 'ps:stop' })).toEqual([]);
    expect(w.decide({ type: 'ps:start' })).toEqual([{ type: 'ProcessesStarted', data: {} }]);
  });

  it('defaultFormation keeps known quantities, gives web 1 and others 0, and never runs the release phase', () => {
    expect(defaultFormation({ web: 'a', worker: 'b', release: 'c' }, { worker: 2 })).toEqual({ web: 1, worker: 2 });
  });
});
