import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import {
  decideApp,
  decideConfig,
  evolveConfig,
  initialAppState,
  type AppCommand,
  type AppState,
} from '../../../src/state/deciders.ts';
import { appStream, type DomainEvent } from '../../../src/state/events.ts';
import { appState, findAppById, getConfig } from '../../../src/state/queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const free = { nameTaken: () => false };
const taken = (...names: string[]) => ({ nameTaken: (n: string) => names.includes(n) });

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
});
afterEach(() => store.db.close());

const STREAM = appStream('a1');

/** The app's state as the command path loads it: from the projections; absent when it has no row. */
function load(): AppState {
  const row = findAppById(store.db, 'a1');
  return row ? appState(store.db, row) : initialAppState();
}

/** Appends `events` to the app's stream and loads the state the projections then hold. */
function fold(events: DomainEvent[]): AppState {
  store.append(STREAM, store.version(STREAM), events, 't');
  return load();
}

/** Decides and records, as the command path does, so each step starts from the state the last one left. */
function given(...commands: AppCommand[]): AppState {
  for (const c of commands) fold(decideApp(c, load(), free));
  return load();
}

const errorOf = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
};

describe('decideApp: apps', () => {
  it('creates an app from the initial state', () => {
    expect(decideApp({ type: 'apps:create', name: 'web' }, initialAppState(), free)).toEqual([
      { type: 'AppCreated', data: { name: 'web' } },
    ]);
    expect(given({ type: 'apps:create', name: 'web' })).toEqual({ status: 'active', name: 'web', locked: false, config: {} });
  });

  it('refuses a name another app holds, and a second create on the same stream', () => {
    expect(errorOf(() => decideApp({ type: 'apps:create', name: 'web' }, initialAppState(), taken('web'))).message).toBe(
      'Name is already taken: web',
    );
    const state = given({ type: 'apps:create', name: 'web' });
    expect(() => decideApp({ type: 'apps:create', name: 'web' }, state, free)).toThrow(UserError);
  });

  it('refuses an invalid name before anything else', () => {
    const err = errorOf(() => decideApp({ type: 'apps:create', name: 'Web_1' }, initialAppState(), free));
    expect(err.message).toMatch(/^Invalid app name 'Web_1'/);
    expect(err.exitCode).toBe(1);
  });

  it('refuses every command but create on an app that does not exist or was destroyed', () => {
    const destroyed = given({ type: 'apps:create', name: 'web' }, { type: 'apps:destroy' });
    expect(destroyed.status).toBe('absent');
    const commands: AppCommand[] = [
      { type: 'apps:rename', to: 'x' },
      { type: 'apps:destroy' },
      { type: 'apps:lock' },
      { type: 'apps:unlock' },
      { type: 'config:set', vars: { A: '1' } },
      { type: 'config:unset', keys: ['A'] },
      { type: 'config:clear' },
    ];
    for (const state of [initialAppState(), destroyed]) {
      for (const c of commands) expect(errorOf(() => decideApp(c, state, free)).message).toBe('App does not exist');
    }
  });

  it('renames, keeping config and lock', () => {
    const state = given({ type: 'apps:create', name: 'web' }, { type: 'config:set', vars: { A: '1' } }, { type: 'apps:lock' });
    const events = decideApp({ type: 'apps:rename', to: 'api' }, state, free);
    expect(events).toEqual([{ type: 'AppRenamed', data: { from: 'web', to: 'api' } }]);
    expect(fold(events)).toEqual({ status: 'active', name: 'api', locked: true, config: { A: '1' } });
  });

  it('refuses a rename to the same name, to a taken name, or to an invalid name', () => {
    const state = given({ type: 'apps:create', name: 'web' });
    expect(errorOf(() => decideApp({ type: 'apps:rename', to: 'web' }, state, free)).message).toBe('App is already named web');
    expect(errorOf(() => decideApp({ type: 'apps:rename', to: 'api' }, state, taken('api'))).message).toBe(
      'Name is already taken: api',
    );
    expect(errorOf(() => decideApp({ type: 'apps:rename', to: 'api-' }, state, free)).message).toMatch(/^Invalid app name/);
  });

  it('destroys: config and lock go with the app', () => {
    const state = given({ type: 'apps:create', name: 'web' }, { type: 'config:set', vars: { A: '1' } }, { type: 'apps:lock' });
    const events = decideApp({ type: 'apps:destroy' }, state, free);
    expect(events).toEqual([{ type: 'AppDestroyed', data: { name: 'web' } }]);
    expect(fold(events)).toEqual(initialAppState());
    expect(findAppById(store.db, 'a1')).toBeUndefined();
    expect(getConfig(store.db, 'a1')).toEqual({});
  });

  it('locks and unlocks, and a repeated lock or unlock decides nothing', () => {
    const created = given({ type: 'apps:create', name: 'web' });
    expect(decideApp({ type: 'apps:unlock' }, created, free)).toEqual([]);
    const lockEvents = decideApp({ type: 'apps:lock' }, created, free);
    expect(lockEvents).toEqual([{ type: 'AppLocked', data: {} }]);
    const locked = fold(lockEvents);
    expect(locked.locked).toBe(true);
    expect(decideApp({ type: 'apps:lock' }, locked, free)).toEqual([]);
    const unlockEvents = decideApp({ type: 'apps:unlock' }, locked, free);
    expect(unlockEvents).toEqual([{ type: 'AppUnlocked', data: {} }]);
    expect(fold(unlockEvents).locked).toBe(false);
  });

  it('routes config commands on an app to the config decider', () => {
    const state = given({ type: 'apps:create', name: 'web' });
    expect(decideApp({ type: 'config:set', vars: { A: '1' } }, state, free)).toEqual([{ type: 'ConfigSet', data: { vars: { A: '1' } } }]);
  });
});

describe('decideConfig', () => {
  it('sets only what changes', () => {
    expect(decideConfig({ type: 'config:set', vars: { A: '1', B: '2' } }, { A: '1' })).toEqual([
      { type: 'ConfigSet', data: { vars: { B: '2' } } },
    ]);
    expect(decideConfig({ type: 'config:set', vars: { A: '1' } }, { A: '1' })).toEqual([]);
  });

  it('treats an empty value as a value, different from unset', () => {
    expect(decideConfig({ type: 'config:set', vars: { A: '' } }, {})).toEqual([{ type: 'ConfigSet', data: { vars: { A: '' } } }]);
    expect(decideConfig({ type: 'config:set', vars: { A: '' } }, { A: '' })).toEqual([]);
    expect(evolveConfig({}, { type: 'ConfigSet', data: { vars: { A: '' } } })).toEqual({ A: '' });
  });

  it('keeps every character of a value', () => {
    const value = 'line1\nline2 \'single\' "double" $HOME `id` \\ \t é ✓ 🚀';
    const [event] = decideConfig({ type: 'config:set', vars: { V: value } }, {});
    expect(evolveConfig({}, event!)).toEqual({ V: value });
  });

  it('refuses an empty set and invalid keys, deciding nothing', () => {
    expect(errorOf(() => decideConfig({ type: 'config:set', vars: {} }, {})).message).toBe('No config vars given: use KEY=VALUE');
    expect(errorOf(() => decideConfig({ type: 'config:set', vars: { A: '1', '1B': '2' } }, {})).message).toMatch(
      /^Invalid config key '1B'/,
    );
    expect(() => decideConfig({ type: 'config:unset', keys: ['OK', 'NOT-OK'] }, { OK: '1' })).toThrow(UserError);
    expect(errorOf(() => decideConfig({ type: 'config:unset', keys: [] }, {})).message).toBe('No config keys given');
  });

  it('unsets only keys that are present, once each', () => {
    expect(decideConfig({ type: 'config:unset', keys: ['A', 'A', 'C'] }, { A: '1', B: '2' })).toEqual([
      { type: 'ConfigUnset', data: { keys: ['A'] } },
    ]);
    expect(decideConfig({ type: 'config:unset', keys: ['C'] }, { A: '1' })).toEqual([]);
    expect(evolveConfig({ A: '1', B: '2' }, { type: 'ConfigUnset', data: { keys: ['A'] } })).toEqual({ B: '2' });
  });

  it('clears every key, or nothing when already empty', () => {
    expect(decideConfig({ type: 'config:clear' }, { A: '1', B: '2' })).toEqual([{ type: 'ConfigUnset', data: { keys: ['A', 'B'] } }]);
    expect(decideConfig({ type: 'config:clear' }, {})).toEqual([]);
  });

  it('a later set overrides an earlier one, and events of other kinds leave config alone', () => {
    let c = evolveConfig({}, { type: 'ConfigSet', data: { vars: { A: '1', B: '2' } } });
    c = evolveConfig(c, { type: 'ConfigSet', data: { vars: { A: '3' } } });
    expect(c).toEqual({ A: '3', B: '2' });
    expect(evolveConfig(c, { type: 'AppLocked', data: {} })).toBe(c);
  });

  it('decide then evolve reaches the state the command describes (set, unset, clear)', () => {
    let config = {};
    const apply = (cmd: Parameters<typeof decideConfig>[0]) => {
      for (const e of decideConfig(cmd, config)) config = evolveConfig(config, e);
    };
    apply({ type: 'config:set', vars: { A: '1', B: '2', C: '3' } });
    apply({ type: 'config:unset', keys: ['B'] });
    expect(config).toEqual({ A: '1', C: '3' });
    apply({ type: 'config:clear' });
    expect(config).toEqual({});
  });
});
