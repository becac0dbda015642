import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffRunSettings } from '../../../src/cli/release-diff.ts';
import { effectiveRunSettings, emptyRunSettings, normalizeRunSettings, sameRunSettings } from '../../../src/lib/run-settings.ts';
import { appStream, GLOBAL_STREAM, type DomainEvent, type ReleaseData } from '../../../src/state/events.ts';
import { decideRelease } from '../../../src/state/release-decider.ts';
import { getRelease, loadReleaseState, releaseContext } from '../../../src/state/release-queries.ts';
import { evolveRunSettings, getRunSettings } from '../../../src/state/run-settings.ts';
import type { EventStore } from '../../../src/state/store.ts';
import type { BuildResult } from '../../../src/lib/types.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const result = (image: string): BuildResult => ({
  imageId: image,
  imageTag: `dokku/app:${image}`,
  builder: 'herokuish',
  processTypes: { web: 'serve' },
  exposedPorts: [],
  appJson: { healthchecks: {} },
  seconds: 1,
});

const mount = { host: '/var/lib/dokku/data/storage/app', container: '/app/storage' };

describe('evolveRunSettings', () => {
  it('folds each event kind and leaves its input untouched', () => {
    const start = emptyRunSettings();
    const events: DomainEvent[] = [
      { type: 'StorageMounted', data: { mount } },
      { type: 'StorageMounted', data: { mount } },
      { type: 'ResourceSet', data: { kind: 'limit', processType: 'web', values: { memory: '256m' } } },
      { type: 'ResourceSet', data: { kind: 'limit', processType: 'web', values: { cpu: '1' } } },
      { type: 'ResourceSet', data: { kind: 'reserve', processType: '_default_', values: { memory: '64m' } } },
      { type: 'DockerOptionAdded', data: { phases: ['build', 'deploy'], option: '--label a=b' } },
      { type: 'DockerOptionAdded', data: { phases: ['deploy'], option: '--label a=b' } },
      { type: 'NetworkPropertySet', data: { key: 'attach-post-deploy', value: ['shared'] } },
    ];
    const doc = events.reduce(evolveRunSettings, start);
    expect(start).toEqual(emptyRunSettings());
    expect(doc.mounts).toEqual([mount]);
    expect(doc.limits).toEqual({ web: { memory: '256m', cpu: '1' } });
    expect(doc.reservations).toEqual({ _default_: { memory: '64m' } });
    expect(doc.dockerOptions).toEqual({ build: ['--label a=b'], deploy: ['--label a=b'], run: [] });
    expect(doc.network['attach-post-deploy']).toEqual(['shared']);

    const after = (
      [
        { type: 'StorageUnmounted', data: { mount } },
        { type: 'ResourceCleared', data: { kind: 'limit', processType: 'web' } },
        { type: 'ResourceCleared', data: { kind: 'reserve' } },
        { type: 'DockerOptionRemoved', data: { phases: ['deploy'], option: '--label a=b' } },
        { type: 'DockerOptionsCleared', data: { phases: ['build'] } },
      ] satisfies DomainEvent[]
    ).reduce(evolveRunSettings, doc);
    expect(after.mounts).toEqual([]);
    expect(after.limits).toEqual({});
    expect(after.reservations).toEqual({});
    expect(after.dockerOptions).toEqual({ build: [], deploy: [], run: [] });
    expect(evolveRunSettings(after, { type: 'RunSettingsRestored', data: { run: doc } })).toEqual(doc);
  });

  it('compares documents regardless of key order and reads old ones', () => {
    const a = normalizeRunSettings({ limits: { web: { memory: '1g', cpu: '2' } } });
    const b = normalizeRunSettings({ limits: { web: { cpu: '2', memory: '1g' } } });
    expect(sameRunSettings(a, b)).toBe(true);
    expect(sameRunSettings(a, emptyRunSettings())).toBe(false);
    expect(normalizeRunSettings({})).toEqual(emptyRunSettings());
  });

  it('merges global resources and network properties under the app', () => {
    const global = normalizeRunSettings({ limits: { _default_: { memory: '512m', pids: '100' } }, network: { ...emptyRunSettings().network, tld: 'svc' } });
    const own = normalizeRunSettings({ limits: { _default_: { memory: '1g' } }, mounts: [mount] });
    const merged = effectiveRunSettings(global, own);
    expect(merged.limits).toEqual({ _default_: { memory: '1g', pids: '100' } });
    expect(merged.network.tld).toBe('svc');
    expect(merged.mounts).toEqual([mount]);
  });
});

describe('diffRunSettings', () => {
  it('names each mount, limit, option and network property that differs', () => {
    const a = normalizeRunSettings({ mounts: [mount], limits: { web: { memory: '256m' } } });
    const b = normalizeRunSettings({
      limits: { web: { memory: '512m', cpu: '1' } },
      dockerOptions: { build: [], deploy: ['--shm-size 1g'], run: [] },
      network: { ...emptyRunSettings().network, 'initial-network': 'shared' },
    });
    expect(diffRunSettings(a, b)).toEqual([
      '- mount /var/lib/dokku/data/storage/app:/app/storage',
      '+ limit web cpu=1',
      '~ limit web memory=512m',
      '+ docker-option deploy --shm-size 1g',
      '~ network initial-network',
    ]);
    expect(diffRunSettings(a, a)).toEqual([]);
  });
});

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
});
afterEach(() => store.db.close());

describe('releases record their run settings', () => {
  const STREAM = appStream('a1');
  const apply = (events: DomainEvent[]) => {
    if (events.length) store.append(STREAM, store.version(STREAM), events, 't');
    return events;
  };
  const decide = (c: Parameters<typeof decideRelease>[0]) => apply(decideRelease(c, loadReleaseState(store.db, 'a1'), releaseContext(store.db, 'a1')));
  const deploy = (image: string) => {
    const [started] = decide({ type: 'build:start', source: 'archive' });
    const n = (started!.data as { build: number }).build;
    const [created] = decide({ type: 'release:from-build', build: n, result: result(image) });
    const v = (created!.data as ReleaseData).version;
    apply([{ type: 'DeploySucceeded', data: { version: v, containers: [] } }]);
    return v;
  };

  it('records them, releases again only when they changed, and a rollback restores them', () => {
    store.append(STREAM, 0, [{ type: 'AppCreated', data: { name: 'app' } }], 't');
    store.append(GLOBAL_STREAM, 0, [{ type: 'ResourceSet', data: { kind: 'limit', processType: '_default_', values: { pids: '50' } } }], 't');
    const v1 = deploy('img1');
    expect(getRelease(store.db, 'a1', v1)!.run).toEqual(emptyRunSettings());
    expect(getRelease(store.db, 'a1', v1)!.runWith!.limits).toEqual({ _default_: { pids: '50' } });
    expect(decide({ type: 'release:run-settings' })).toEqual([]);
    // Config set without a restart is applied by the next restart too.
    apply([{ type: 'ConfigSet', data: { vars: { LATER: '1' } } }]);
    const [configured] = decide({ type: 'release:run-settings' });
    expect(configured).toMatchObject({ type: 'ReleaseCreated', data: { version: 2, description: 'Apply config', env: { LATER: '1' } } });
    apply([{ type: 'DeploySucceeded', data: { version: 2, containers: [] } }]);
    expect(decide({ type: 'release:run-settings' })).toEqual([]);

    apply([{ type: 'StorageMounted', data: { mount } }]);
    const [created] = decide({ type: 'release:run-settings' });
    expect(created).toMatchObject({ type: 'ReleaseCreated', data: { version: 3, description: 'Apply run settings', image: 'img1' } });
    expect(getRelease(store.db, 'a1', 3)!.runWith!.mounts).toEqual([mount]);
    apply([{ type: 'DeploySucceeded', data: { version: 3, containers: [] } }]);

    apply([{ type: 'ResourceSet', data: { kind: 'limit', processType: 'web', values: { memory: '128m' } } }]);
    const v3 = deploy('img2');
    expect(getRelease(store.db, 'a1', v3)!.run!.limits).toEqual({ web: { memory: '128m' } });

    const events = decide({ type: 'release:rollback', target: 1 });
    expect(events.map((e) => e.type)).toEqual(['ConfigUnset', 'RunSettingsRestored', 'ReleaseCreated']);
    expect(getRunSettings(store.db, 'a1')).toEqual(emptyRunSettings());
    expect(getRelease(store.db, 'a1', 5)!.runWith!.limits).toEqual({ _default_: { pids: '50' } });

    // The projection is a fold of the log: refolding it gives the same document.
    const before = getRunSettings(store.db, 'a1');
    store.rebuildProjections();
    expect(getRunSettings(store.db, 'a1')).toEqual(before);
    expect(getRunSettings(store.db, '').limits).toEqual({ _default_: { pids: '50' } });
  });
});
