import { UserError } from '../lib/errors.ts';
import type { Database } from './db.ts';
import type { AppState, ConfigVars } from './deciders.ts';

/** Reads over the projection tables: O(1) in the length of the history. */

export interface AppRow {
  id: string;
  name: string;
  createdAt: string;
  locked: boolean;
}

interface RawApp {
  id: string;
  name: string;
  created_at: string;
  locked: number;
}

const toApp = (r: RawApp): AppRow => ({ id: r.id, name: r.name, createdAt: r.created_at, locked: r.locked === 1 });

export function findApp(db: Database, name: string): AppRow | undefined {
  const r = db.prepare('SELECT * FROM apps WHERE name = ?').get<RawApp>(name);
  return r && toApp(r);
}

export function findAppById(db: Database, id: string): AppRow | undefined {
  const r = db.prepare('SELECT * FROM apps WHERE id = ?').get<RawApp>(id);
  return r && toApp(r);
}

/** The app, or the user error Dokku prints for a missing one. */
export function requireApp(db: Database, name: string): AppRow {
  const app = findApp(db, name);
  if (!app) throw new UserError(`App ${name} does not exist`);
  return app;
}

export function listApps(db: Database): AppRow[] {
  return db.prepare('SELECT * FROM apps ORDER BY name').all<RawApp>().map(toApp);
}

export function getConfig(db: Database, scope: string): ConfigVars {
  const out: ConfigVars = {};
  for (const r of db.prepare('SELECT key, value FROM config WHERE scope = ? ORDER BY key').all<{ key: string; value: string }>(scope)) {
    out[r.key] = r.value;
  }
  return out;
}

/** What an app's processes see: global values, overridden by the app's own. */
export function mergedConfig(db: Database, appId: string): ConfigVars {
  const merged = { ...getConfig(db, ''), ...getConfig(db, appId) };
  // Sorted by key like each scope on its own, not global keys first and then the app's.
  return Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]!]));
}

export function appState(db: Database, app: AppRow): AppState {
  return { status: 'active', name: app.name, locked: app.locked, config: getConfig(db, app.id) };
}
