import type { Database } from './db.ts';
import { getRunSettings } from './run-settings.ts';

export interface NetworkRow {
  name: string;
  createdAt: string;
  actor: string;
}

export function listNetworks(db: Database): NetworkRow[] {
  return db.prepare('SELECT * FROM networks ORDER BY name').all<{ name: string; created_at: string; actor: string }>().map((r) => ({ name: r.name, createdAt: r.created_at, actor: r.actor }));
}

export function getNetwork(db: Database, name: string): NetworkRow | undefined {
  return listNetworks(db).find((n) => n.name === name);
}

/** The apps whose run settings name the network (attach-post-create, attach-post-deploy, initial-network), by id. */
export function appsOnNetwork(db: Database, name: string): string[] {
  const ids: string[] = [];
  for (const { app_id } of db.prepare("SELECT app_id FROM run_settings WHERE app_id != ''").all<{ app_id: string }>()) {
    const n = getRunSettings(db, app_id).network;
    if (n['attach-post-create'].includes(name) || n['attach-post-deploy'].includes(name) || n['initial-network'] === name) ids.push(app_id);
  }
  return ids;
}
