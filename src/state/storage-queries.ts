import type { Mount } from '../lib/run-settings.ts';
import type { Database } from './db.ts';
import { appRunSettings } from './run-settings.ts';

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
  for (const { appId, run } of appRunSettings(db)) {
    for (const m of run.mounts) if (m.entry === entry.name || m.host === entry.path) out.push({ appId, mount: m });
  }
  return out;
}
