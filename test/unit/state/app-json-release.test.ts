import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appStream, GLOBAL_STREAM, type DomainEvent, type ReleaseData } from '../../../src/state/events.ts';
import { appJsonDefaults, decideRelease } from '../../../src/state/release-decider.ts';
import { decideConfig } from '../../../src/state/deciders.ts';
import { loadReleaseState, releaseContext } from '../../../src/state/release-queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import type { AppJson, BuildResult } from '../../../src/lib/types.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const STREAM = appStream('a1');
let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
  store.append(STREAM, 0, [{ type: 'AppCreated', data: { name: 'app' } }], 't');
  store.append(GLOBAL_STREAM, 0, [{ type: 'ConfigSet', data: { vars: { REGION: 'eu' } } }], 't');
});
afterEach(() => store.db.close());

const result = (appJson: AppJson): BuildResult => ({
  imageId: 'img',
  imageTag: 'dokku/app:build-1',
  builder: 'herokuish',
  processTypes: { web: 'a', worker: 'b' },
  exposedPorts: [],
  appJson,
  seconds: 1,
});
const apply = (events: DomainEvent[]) => {
  if (events.length) store.append(STREAM, store.version(STREAM), events, 't');
  return events;
};
const decide = (c: Parameters<typeof decideRelease>[0]) => apply(decideRelease(c, loadReleaseState(store.db, 'a1'), releaseContext(store.db, 'a1')));
const release = (appJson: AppJson) => {
  const [started] = decide({ type: 'build:start', source: 'archive' });
  const build = (started!.data as { build: number }).build;
  return decide({ type: 'release:from-build', build, result: result(appJson) });
};

describe('app.json on a release', () => {
  it('sets env defaults the app and global config lack, as a ConfigSet in the same append as the release', () => {
    apply([{ type: 'ConfigSet', data: { vars: { KEPT: 'mine' } } }]);
    const events = release({ healthchecks: {}, env: { KEPT: { value: 'default', required: false }, REGION: { value: 'us', required: false }, NEW: { value: 'd', required: true } } });
    expect(events.map((e) => e.type)).toEqual(['ConfigSet', 'ReleaseCreated', 'Scaled']);
    expect(events[0]!.data).toEqual({ vars: { NEW: 'd' } });
    expect((events[1]!.data as ReleaseData).config).toEqual({ KEPT: 'mine', NEW: 'd' });
    expect((events[1]!.data as ReleaseData).env).toMatchObject({ REGION: 'eu', NEW: 'd' });
    // The next release finds NEW set and sets nothing.
    expect(release({ healthchecks: {}, env: { NEW: { value: 'other', required: true } } }).map((e) => e.type)).toEqual(['ReleaseCreated']);
  });

  it('refuses a release naming every required key without a value, and records nothing', () => {
    const before = store.version(STREAM);
    const [started] = decide({ type: 'build:start', source: 'archive' });
    const build = (started!.data as { build: number }).build;
    const after = store.version(STREAM);
    expect(after).toBeGreaterThan(before);
    expect(() => decide({ type: 'release:from-build', build, result: result({ healthchecks: {}, env: { SECRET: { required: true }, TOKEN: { required: true }, OPTIONAL: { required: false } } }) })).toThrow(
      'Missing required config vars from app.json: SECRET, TOKEN (set them with config:set, then deploy again)',
    );
    expect(store.version(STREAM)).toBe(after);
  });

  it('appJsonDefaults leaves keys that are set, even to an empty value', () => {
    expect(appJsonDefaults({ healthchecks: {}, env: { A: { value: 'x', required: true } } }, { A: '' })).toEqual({});
  });

  it('formation sets the quantities it names on every release; ps:scale then refuses those types only', () => {
    const first = release({ healthchecks: {}, formation: { web: 2, worker: 1 } });
    expect(first.at(-1)).toEqual({ type: 'Scaled', data: { formation: { web: 2, worker: 1 } } });
    apply([{ type: 'DeploySucceeded', data: { version: 1, containers: [] } }]);
    expect(() => decide({ type: 'ps:scale', formation: { worker: 3 } })).toThrow(/worker is scaled by the formation key in app.json/);
    // Without formation in app.json, ps:scale works, and a later formation wins again on deploy.
    release({ healthchecks: {} });
    apply([{ type: 'DeploySucceeded', data: { version: 2, containers: [] } }]);
    expect(decide({ type: 'ps:scale', formation: { worker: 3 } })).toEqual([{ type: 'Scaled', data: { formation: { worker: 3 } } }]);
    expect(release({ healthchecks: {}, formation: { worker: 1 } }).at(-1)).toEqual({ type: 'Scaled', data: { formation: { worker: 1 } } });
    expect(release({ healthchecks: {}, formation: { worker: 1 } }).map((e) => e.type)).toEqual(['ReleaseCreated']);
  });
});

describe('config:import decision', () => {
  it('sets changed keys in one event; --replace unsets the others in the same decision', () => {
    const config = { A: '1', B: '2', C: '3' };
    expect(decideConfig({ type: 'config:import', vars: { A: '1', B: 'new' }, replace: false }, config)).toEqual([{ type: 'ConfigSet', data: { vars: { B: 'new' } } }]);
    expect(decideConfig({ type: 'config:import', vars: { A: '1', B: 'new' }, replace: true }, config)).toEqual([
      { type: 'ConfigUnset', data: { keys: ['C'] } },
      { type: 'ConfigSet', data: { vars: { B: 'new' } } },
    ]);
    expect(decideConfig({ type: 'config:import', vars: { ...config }, replace: true }, config)).toEqual([]);
  });
});
