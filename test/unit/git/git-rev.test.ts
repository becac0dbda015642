/** A pushed commit becomes the app's GIT_REV config var, and stays with its release through config changes and rollbacks. */
import { describe, expect, it } from 'vitest';
import { appStream, type DomainEvent } from '../../../src/state/events.ts';
import { decideRelease } from '../../../src/state/release-decider.ts';
import { getRelease, loadReleaseState, releaseContext } from '../../../src/state/release-queries.ts';
import type { BuildResult } from '../../../src/lib/types.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const result = (image: string): BuildResult => ({
  imageId: image,
  imageTag: `dokku/app:${image}`,
  builder: 'herokuish',
  processTypes: { web: 'node server.js' },
  exposedPorts: [],
  appJson: { healthchecks: {} },
  seconds: 1,
});

describe('GIT_REV', () => {
  it('is the pushed commit as a config var, in the release env, kept by config releases, restored by rollback', async () => {
    const store = await memoryStore();
    const stream = appStream('a1');
    store.append(stream, 0, [{ type: 'AppCreated', data: { name: 'app' } }], 't');
    // Each decision on the state the projections hold; every release is deployed at once.
    const decide = (c: Parameters<typeof decideRelease>[0]): DomainEvent[] => {
      const events = decideRelease(c, loadReleaseState(store.db, 'a1'), releaseContext(store.db, 'a1'));
      for (const e of events) {
        const deployed: DomainEvent[] = e.type === 'ReleaseCreated' ? [{ type: 'DeploySucceeded', data: { version: e.data.version, containers: [] } }] : [];
        store.append(stream, store.version(stream), [e, ...deployed], 't');
      }
      return events;
    };
    const env = (v: number) => getRelease(store.db, 'a1', v)!.env;
    const shaA = 'a'.repeat(40);
    const shaB = 'b'.repeat(40);
    decide({ type: 'build:start', source: 'git', sha: shaA });
    decide({ type: 'release:from-build', build: 1, result: result('i1'), sha: shaA });
    expect(env(1)).toEqual({ GIT_REV: shaA });
    decide({ type: 'config:change', command: { type: 'config:set', vars: { MESSAGE: 'hi' } }, restart: true });
    expect(env(2)).toEqual({ MESSAGE: 'hi', GIT_REV: shaA });
    decide({ type: 'build:start', source: 'git', sha: shaB });
    decide({ type: 'release:from-build', build: 2, result: result('i2'), sha: shaB });
    expect(env(3)).toEqual({ MESSAGE: 'hi', GIT_REV: shaB });
    decide({ type: 'release:rollback', target: 1 });
    expect(env(4)).toEqual({ GIT_REV: shaA });
    // As in Dokku, GIT_REV is a config var of the app (config:get shows it), set when the build starts.
    expect(getRelease(store.db, 'a1', 3)!.config).toEqual({ MESSAGE: 'hi', GIT_REV: shaB });
    expect(loadReleaseState(store.db, 'a1').config).toEqual({ GIT_REV: shaA });
    // A source without a commit leaves the config as it was; the same commit again records nothing.
    expect(decide({ type: 'build:start', source: 'archive' }).map((e) => e.type)).toEqual(['BuildStarted']);
    decide({ type: 'release:from-build', build: 3, result: result('i3') });
    expect(env(5)).toEqual({ GIT_REV: shaA });
    expect(decide({ type: 'build:start', source: 'git', sha: shaA }).map((e) => e.type)).toEqual(['BuildStarted']);
    expect(decide({ type: 'build:start', source: 'git', sha: shaB })).toContainEqual({ type: 'ConfigSet', data: { vars: { GIT_REV: shaB } } });
    store.db.close();
  });
});
