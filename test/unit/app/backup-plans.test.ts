import { describe, expect, it } from 'vitest';
import { needsSavedImage } from '../../../src/app/backup-export.ts';
import { comebackOf } from '../../../src/app/backup-restore.ts';
import type { ReleaseRecord } from '../../../src/state/release-decider.ts';

const release = { version: 3, image: 'sha256:abc', imageTag: 'dokku/web:build-3' } as ReleaseRecord;

describe('what an export keeps of an app', () => {
  it('saves the image of a deployed app that has no kept source, and only then', () => {
    expect(needsSavedImage(release, false)).toBe(true);
    expect(needsSavedImage(release, true)).toBe(false);
    expect(needsSavedImage(undefined, false)).toBe(false);
  });
});

describe('how an imported app comes back', () => {
  it('an app never deployed is left as it is', () => {
    expect(comebackOf({ stopped: false, imagePresent: false, hasSource: true })).toEqual({ kind: 'not-deployed' });
  });

  it('its current release runs again when the image is on this host (ps:restore), else it is built from its source (ps:rebuild)', () => {
    expect(comebackOf({ current: 3, stopped: false, imagePresent: true, hasSource: true })).toEqual({ kind: 'restore', version: 3 });
    expect(comebackOf({ current: 3, stopped: false, imagePresent: false, hasSource: true })).toEqual({ kind: 'rebuild', version: 3 });
    expect(comebackOf({ current: 3, stopped: false, imagePresent: false, hasSource: false })).toEqual({ kind: 'missing', reason: 'its image is not on this Docker host and no source was kept to build it from' });
  });

  it('a stopped app stays stopped, and is told when ps:start alone would not run it', () => {
    expect(comebackOf({ current: 3, stopped: true, imagePresent: true, hasSource: false })).toEqual({ kind: 'stopped' });
    expect(comebackOf({ current: 3, stopped: true, imagePresent: false, hasSource: true })).toEqual({ kind: 'stopped', note: 'its image is not on this host: ps:rebuild builds it and starts it' });
  });
});
