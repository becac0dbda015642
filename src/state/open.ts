import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NotADokkuDatabase } from '../lib/errors.ts';
import { openDatabase, type Database } from './db.ts';
import { migrate } from './migrate.ts';
import { PROJECTION_TABLES } from './projections.ts';

/**
 * Opening dokku's own database, refusing a file that is not one with a single line: garbage, a
 * truncated file (SQLite may notice only at a later read; db.ts turns that into the same error), a
 * directory, tables missing, or a database that was emptied or deleted.
 *
 * SQLite treats a missing or zero-length file as a new, empty database, so on its own it would turn a
 * lost `dokku.db` into a fresh platform with no apps. The first time dokku creates (or first opens)
 * a database, it writes a marker beside it, `.<db name>-created` (`$DOKKU_ROOT/.dokku.db-created`
 * by default), holding the time. A missing or empty database next to a marker is refused; only a
 * directory that never held one starts empty. Remove the marker to start a new platform on purpose.
 */

export type DatabaseFile = { kind: 'missing' } | { kind: 'directory' } | { kind: 'file'; size: number };

export type OpenDecision = { action: 'open' } | { action: 'refuse'; reason: string };

export const createdMarkerPath = (dbPath: string): string => join(dirname(dbPath), `.${basename(dbPath)}-created`);

/** Whether to open the file at all, from what is on disk (pure). `createdAt` is the marker's time, if any. */
export function decideOpen(file: DatabaseFile, createdAt: string | undefined, marker: string): OpenDecision {
  if (file.kind === 'directory') return { action: 'refuse', reason: 'it is a directory' };
  const blank = file.kind === 'missing' ? 'missing' : file.size === 0 ? 'empty' : undefined;
  if (blank === undefined || createdAt === undefined) return { action: 'open' };
  return {
    action: 'refuse',
    reason: `it is ${blank}, but one was created here${createdAt ? ` at ${createdAt}` : ''}; restore it from a backup, or remove ${marker} to start a new, empty platform`,
  };
}

/** Tables a database written by this dokku has; any missing means the file is not (all) dokku's. */
export function missingTables(present: ReadonlySet<string>): string[] {
  return ['events', 'schema_migrations', ...PROJECTION_TABLES].filter((t) => !present.has(t));
}

function inspect(path: string): DatabaseFile {
  try {
    const st = statSync(path);
    return st.isDirectory() ? { kind: 'directory' } : { kind: 'file', size: st.size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
}

function readMarker(marker: string): string | undefined {
  try {
    return readFileSync(marker, 'utf8').trim().slice(0, 64);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // There, but not ours to read: it still says a database was made here.
    return '';
  }
}

function writeMarker(marker: string): void {
  try {
    // Only a timestamp: readable by whoever runs dokku later (root during install, then dokku).
    writeFileSync(marker, `${new Date().toISOString()}\n`, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Already written (another process), or a directory we may read but not write: not fatal.
    if (code !== 'EEXIST' && code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
  }
}

/** Opens, migrates and checks `$DOKKU_DB`; anything that is not a dokku database is one line. */
export async function openStateDatabase(path: string): Promise<Database> {
  if (path === ':memory:') {
    const db = await openDatabase(path);
    migrate(db);
    return db;
  }
  const marker = createdMarkerPath(path);
  const createdAt = readMarker(marker);
  const decision = decideOpen(inspect(path), createdAt, marker);
  if (decision.action === 'refuse') throw new NotADokkuDatabase(path, decision.reason);
  const db = await openDatabase(path);
  try {
    migrate(db);
    const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>().map((r) => r.name));
    const missing = missingTables(present);
    if (missing.length) throw new NotADokkuDatabase(path, `it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}`);
  } catch (err) {
    db.close();
    throw err;
  }
  if (createdAt === undefined) writeMarker(marker);
  return db;
}
