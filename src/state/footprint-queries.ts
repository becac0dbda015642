import type { Database } from './db.ts';
import { appStream } from './events.ts';
import { ownNames } from './image-queries.ts';
import { findApp, type AppRow } from './queries.ts';

/**
 * What of an app may live outside the log (containers, images, files), read from its stream, so it
 * reads the same after AppDestroyed emptied the projections: a cleanup re-run after a failure
 * finds what the first run was after.
 */
export interface AppFootprint {
  /** The app as it is, or was when it was destroyed. */
  app: AppRow;
  /** Its name and every earlier one no other app holds now: what its images, caches and containers carry. */
  names: string[];
  /** The image ids and tags its releases ran. */
  images: string[];
  /** Whether it ever started a build: only then can anything of it be in Docker. */
  built: boolean;
  /** Whether a service was ever linked to it: services join its network. */
  linked: boolean;
}

interface Row {
  type: string;
  data: string;
  at: string;
}

const LIFECYCLE = `'AppCreated', 'AppRenamed', 'AppDestroyed'`;

function lifecycleEnd(db: Database, appId: string): { type: string; data: { name?: string; from?: string; to?: string }; position: number } | undefined {
  const row = db
    .prepare(`SELECT type, data, position FROM events WHERE stream = ? AND type IN (${LIFECYCLE}) ORDER BY version DESC LIMIT 1`)
    .get<{ type: string; data: string; position: number }>(appStream(appId));
  return row && { type: row.type, data: JSON.parse(row.data) as { name?: string; to?: string }, position: row.position };
}

export function appFootprint(db: Database, appId: string): AppFootprint | undefined {
  const rows = db
    .prepare(`SELECT type, data, at FROM events WHERE stream = ? AND type IN (${LIFECYCLE}, 'BuildStarted', 'ReleaseCreated', 'ServiceLinked') ORDER BY version`)
    .all<Row>(appStream(appId));
  const created = rows.find((r) => r.type === 'AppCreated');
  if (!created) return undefined;
  let name = '';
  const images = new Set<string>();
  let built = false;
  let linked = false;
  for (const r of rows) {
    const d = JSON.parse(r.data) as { name?: string; to?: string; image?: string; imageTag?: string };
    if (r.type === 'AppCreated' || r.type === 'AppDestroyed') name = d.name ?? name;
    else if (r.type === 'AppRenamed') name = d.to ?? name;
    else if (r.type === 'BuildStarted') built = true;
    else if (r.type === 'ServiceLinked') linked = true;
    else for (const ref of [d.imageTag, d.image]) if (ref) images.add(ref);
  }
  return {
    app: { id: appId, name, createdAt: created.at, locked: false },
    names: [...new Set([name, ...ownNames(db, appId)])],
    images: [...images],
    built,
    linked,
  };
}

/** The app destroyed under `name` most recently, when no app holds the name now. */
export function destroyedAppNamed(db: Database, name: string): string | undefined {
  if (findApp(db, name)) return undefined;
  let found: { id: string; position: number } | undefined;
  for (const { app_id: id } of db.prepare('SELECT app_id FROM app_names WHERE name = ?').all<{ app_id: string }>(name)) {
    const end = lifecycleEnd(db, id);
    if (end?.type === 'AppDestroyed' && end.data.name === name && (!found || end.position > found.position)) found = { id, position: end.position };
  }
  return found?.id;
}

/** The app now named `to` when its last rename was `from` → `to` and no app holds `from` since. */
export function renamedApp(db: Database, from: string, to: string): string | undefined {
  const app = findApp(db, to);
  if (!app || findApp(db, from)) return undefined;
  const end = lifecycleEnd(db, app.id);
  return end?.type === 'AppRenamed' && end.data.from === from && end.data.to === to ? app.id : undefined;
}
