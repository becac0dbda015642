import type { Mount } from '../lib/run-settings.ts';
import type { Database } from './db.ts';
import { getRunSettings } from './run-settings.ts';

export interface StorageEntry {
  name: string;
  path: string;
  appId?: string;
  chown: string;
  createdAt: string;
  actor: string;
}

type Raw = { name: string; path: string; app_id: string | null; chown: string; created_at: string; actor: string };
const toEntry = (r: Raw): StorageEntry => ({ name: r.name, path: r.path, ...(r.app_id ? { appId: r.app_id } : {}), chown: r.chown, createdAt: r.created_at, actor: r.actor });

export function getStorageEntry(db: Database, name: string): StorageEntry | undefined {
  const r = db.prepare('SELECT * FROM storage_entries WHERE name = ?').get<Raw>(name);
  return r && toEntry(r);
}

export function listStorageEntries(db: Database): StorageEntry[] {
  return db.prepare('SELECT * FROM storage_entries ORDER BY name').all<Raw>().map(toEntry);
}

/** Every app's mounts of the entry (by name or by its path), as app id → mounts. */
export function entryMounts(db: Database, entry: Pick<StorageEntry, 'name' | 'path'>): Array<{ appId: string; mount: Mount }> {
  const out: Array<{ appId: string; mount: Mount }> = [];
  for (const { app_id } of db.prepare("SELECT app_id FROM run_settings WHERE app_id != ''").all<{ app_id: string }>()) {
    for (const m of getRunSettings(db, app_id).mounts) if (m.entry === entry.name || m.host === entry.path) out.push({ appId: app_id, mount: m });
  }
  return out;
}
