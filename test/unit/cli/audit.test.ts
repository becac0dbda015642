import { describe, expect, it } from 'vitest';
import { maskedData, summarize } from '../../../src/cli/audit.ts';
import type { DomainEvent, StoredEvent } from '../../../src/state/events.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';

const SECRET = 'hunter2-s3cr3t-value';
const OTHER_SECRET = 'postgres://user:pw@db/x';

const stored = (e: DomainEvent, stream = 'app/1'): StoredEvent =>
  ({ position: 1, stream, version: 1, actor: 'alice', at: '2026-01-01T00:00:00.000Z', hash: 'x', ...e });

/** Every event in the catalogue that can carry a config value, with secrets in each such field. */
const WITH_VALUES: DomainEvent[] = [
  { type: 'ConfigSet', data: { vars: { API_TOKEN: SECRET, DATABASE_URL: OTHER_SECRET } } },
  {
    type: 'ReleaseCreated',
    data: {
      version: 3,
      image: 'sha256:abc',
      imageTag: 'dokku/web:3',
      config: { API_TOKEN: SECRET },
      env: { API_TOKEN: SECRET, DATABASE_URL: OTHER_SECRET, PORT: '5000' },
      processTypes: { web: 'node server.js' },
      webPort: 5000,
      appJson: { healthchecks: {} },
      description: 'Set API_TOKEN',
      run: { ...emptyRunSettings(), dockerOptions: { build: [`--build-arg API_TOKEN=${SECRET}`], deploy: [`-e API_TOKEN=${SECRET}`], run: [] } },
    },
  },
  { type: 'DockerOptionAdded', data: { phases: ['build'], option: `--build-arg API_TOKEN=${SECRET}` } },
  { type: 'DockerOptionRemoved', data: { phases: ['deploy', 'run'], option: `--env=API_TOKEN=${SECRET}` } },
  { type: 'RunSettingsRestored', data: { run: { ...emptyRunSettings(), dockerOptions: { build: [], deploy: [`-e API_TOKEN=${SECRET} --label a=b`], run: [] } } } },
];

describe('audit output never shows config values', () => {
  it.each(WITH_VALUES.map((e) => [e.type, e] as const))('%s: summary and masked data hold keys, not values', (_, e) => {
    for (const text of [summarize(stored(e)), JSON.stringify(maskedData(stored(e)))]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(OTHER_SECRET);
    }
    expect(JSON.stringify(maskedData(stored(e)))).toContain('API_TOKEN');
  });

  it('ConfigSet reads as the keys it set, in the app and the global stream', () => {
    const e = WITH_VALUES[0]!;
    expect(summarize(stored(e))).toBe('Set API_TOKEN, DATABASE_URL');
    expect(maskedData(stored(e))).toEqual({ keys: ['API_TOKEN', 'DATABASE_URL'] });
    expect(maskedData(stored(e, 'global'))).toEqual({ keys: ['API_TOKEN', 'DATABASE_URL'] });
  });

  it('a release keeps its other fields and lists the keys of its config snapshot', () => {
    const masked = maskedData(stored(WITH_VALUES[1]!)) as Record<string, unknown>;
    expect(masked.version).toBe(3);
    expect(masked.description).toBe('Set API_TOKEN');
    expect(masked.config).toEqual(['API_TOKEN']);
    expect(masked.env).toEqual(['API_TOKEN', 'DATABASE_URL', 'PORT']);
  });

  it('does not alter the stored event it masks', () => {
    const e = stored(WITH_VALUES[0]!);
    maskedData(e);
    expect((e.data as { vars: Record<string, string> }).vars.API_TOKEN).toBe(SECRET);
  });
});

describe('summaries', () => {
  it.each<[DomainEvent, string]>([
    [{ type: 'AppCreated', data: { name: 'web' } }, 'Created web'],
    [{ type: 'AppRenamed', data: { from: 'web', to: 'api' } }, 'Renamed web to api'],
    [{ type: 'AppDestroyed', data: { name: 'web' } }, 'Destroyed web'],
    [{ type: 'AppLocked', data: {} }, 'Locked'],
    [{ type: 'AppUnlocked', data: {} }, 'Unlocked'],
    [{ type: 'ConfigUnset', data: { keys: ['A', 'B'] } }, 'Unset A, B'],
  ])('%j → %s', (e, text) => {
    expect(summarize(stored(e))).toBe(text);
    expect(maskedData(stored(e))).toEqual(e.data);
  });

  it('an event type this version does not know still reads as its type', () => {
    expect(summarize({ ...stored({ type: 'AppLocked', data: {} }), type: 'SomethingNewer' } as unknown as StoredEvent)).toBe(
      'SomethingNewer',
    );
  });
});
