import { UserError } from '../lib/errors.ts';
import { validateAppName, validateConfigKey } from '../lib/validate.ts';
import type { DomainEvent } from './events.ts';

/**
 * Deciders: pure `decide(command, state) → events`. They know nothing of SQLite, processes or the
 * clock; the store appends what they return. Their state is read from the projection tables (see
 * `appState`, `loadReleaseState`, `loadAccessState`, `proxyState`): the projections are the one
 * fold of the log, so there is no second in-memory fold to keep in step with them. `evolveConfig`
 * (and `evolveProxy`) stay for one job only: the state a decision's own events lead to before they
 * are appended (a config change's release snapshot; a vhost rendered before it is recorded).
 */

export type ConfigVars = Record<string, string>;

export interface AppState {
  /** A destroyed app's rows are gone, so it loads as absent. */
  status: 'absent' | 'active';
  name: string;
  locked: boolean;
  config: ConfigVars;
}

export const initialAppState = (): AppState => ({ status: 'absent', name: '', locked: false, config: {} });

export type ConfigCommand =
  | { type: 'config:set'; vars: ConfigVars }
  | { type: 'config:unset'; keys: string[] }
  | { type: 'config:clear' }
  /** Every var at once; with `replace`, keys the input lacks are unset in the same append. */
  | { type: 'config:import'; vars: ConfigVars; replace: boolean };

export type AppCommand =
  | { type: 'apps:create'; name: string }
  | { type: 'apps:rename'; to: string }
  | { type: 'apps:destroy' }
  | { type: 'apps:lock' }
  | { type: 'apps:unlock' }
  | ConfigCommand;

/** What a decision may look up beyond the stream itself: names are unique across apps. */
export interface AppContext {
  nameTaken(name: string): boolean;
}

export function decideApp(command: AppCommand, state: AppState, ctx: AppContext): DomainEvent[] {
  if (command.type === 'apps:create') {
    const name = validateAppName(command.name);
    if (state.status !== 'absent' || ctx.nameTaken(name)) throw new UserError(`Name is already taken: ${name}`);
    return [{ type: 'AppCreated', data: { name } }];
  }
  if (state.status !== 'active') throw new UserError('App does not exist');
  switch (command.type) {
    case 'apps:rename': {
      const to = validateAppName(command.to);
      if (to === state.name) throw new UserError(`App is already named ${to}`);
      if (ctx.nameTaken(to)) throw new UserError(`Name is already taken: ${to}`);
      return [{ type: 'AppRenamed', data: { from: state.name, to } }];
    }
    case 'apps:destroy':
      return [{ type: 'AppDestroyed', data: { name: state.name } }];
    case 'apps:lock':
      return state.locked ? [] : [{ type: 'AppLocked', data: {} }];
    case 'apps:unlock':
      return state.locked ? [{ type: 'AppUnlocked', data: {} }] : [];
    default:
      return decideConfig(command, state.config);
  }
}

/** Config decisions are the same for an app and for the global scope; only changes become events. */
export function decideConfig(command: ConfigCommand, config: ConfigVars): DomainEvent[] {
  switch (command.type) {
    case 'config:set': {
      const entries = Object.entries(command.vars);
      if (entries.length === 0) throw new UserError('No config vars given: use KEY=VALUE');
      const changed: ConfigVars = {};
      for (const [k, v] of entries) {
        validateConfigKey(k);
        if (config[k] !== v) changed[k] = v;
      }
      return Object.keys(changed).length ? [{ type: 'ConfigSet', data: { vars: changed } }] : [];
    }
    case 'config:unset': {
      if (command.keys.length === 0) throw new UserError('No config keys given');
      command.keys.forEach(validateConfigKey);
      const present = [...new Set(command.keys)].filter((k) => k in config);
      return present.length ? [{ type: 'ConfigUnset', data: { keys: present } }] : [];
    }
    case 'config:clear': {
      const keys = Object.keys(config);
      return keys.length ? [{ type: 'ConfigUnset', data: { keys } }] : [];
    }
    case 'config:import': {
      const gone = command.replace ? Object.keys(config).filter((k) => !Object.hasOwn(command.vars, k)) : [];
      const changed: ConfigVars = {};
      for (const [k, v] of Object.entries(command.vars)) {
        validateConfigKey(k);
        if (config[k] !== v) changed[k] = v;
      }
      const events: DomainEvent[] = gone.length ? [{ type: 'ConfigUnset', data: { keys: gone } }] : [];
      if (Object.keys(changed).length) events.push({ type: 'ConfigSet', data: { vars: changed } });
      return events;
    }
  }
}

/** The config `event` leaves; the config projection folds the same events the same way. */
export function evolveConfig(config: ConfigVars, event: DomainEvent): ConfigVars {
  switch (event.type) {
    case 'ConfigSet':
      return { ...config, ...event.data.vars };
    case 'ConfigUnset': {
      const next = { ...config };
      for (const k of event.data.keys) delete next[k];
      return next;
    }
    default:
      return config;
  }
}
