import type { Database } from './db.ts';
import { appIdOf, type StoredEvent } from './events.ts';

/** Tables derived from the log; `state:rebuild` empties and refolds exactly these. */
export const PROJECTION_TABLES = ['apps', 'config'] as const;

/** Config scope for an event's stream: the app id, or '' for the global stream. */
export const scopeOf = (stream: string): string => appIdOf(stream) ?? '';

/**
 * Folds one event into the projection tables. Runs inside the append transaction, so readers
 * never see the log and the projections disagree.
 */
export function project(db: Database, e: StoredEvent): void {
  switch (e.type) {
    case 'AppCreated': {
      const d = e.data as { name: string };
      db.prepare('INSERT INTO apps (id, name, created_at, locked) VALUES (?, ?, ?, 0)').run(appIdOf(e.stream)!, d.name, e.at);
      return;
    }
    case 'AppRenamed': {
      const d = e.data as { to: string };
      db.prepare('UPDATE apps SET name = ? WHERE id = ?').run(d.to, appIdOf(e.stream)!);
      return;
    }
    case 'AppDestroyed': {
      const id = appIdOf(e.stream)!;
      db.prepare('DELETE FROM apps WHERE id = ?').run(id);
      db.prepare('DELETE FROM config WHERE scope = ?').run(id);
      return;
    }
    case 'AppLocked':
    case 'AppUnlocked':
      db.prepare('UPDATE apps SET locked = ? WHERE id = ?').run(e.type === 'AppLocked' ? 1 : 0, appIdOf(e.stream)!);
      return;
    case 'ConfigSet': {
      const d = e.data as { vars: Record<string, string> };
      const upsert = db.prepare(
        'INSERT INTO config (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
      );
      const scope = scopeOf(e.stream);
      for (const [k, v] of Object.entries(d.vars)) upsert.run(scope, k, v);
      return;
    }
    case 'ConfigUnset': {
      const d = e.data as { keys: string[] };
      const del = db.prepare('DELETE FROM config WHERE scope = ? AND key = ?');
      const scope = scopeOf(e.stream);
      for (const k of d.keys) del.run(scope, k);
      return;
    }
    default: {
      // An event type this binary does not project (written by a newer version) changes nothing here.
      return;
    }
  }
}
