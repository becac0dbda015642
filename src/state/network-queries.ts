import type { Database } from './db.ts';
import { appRunSettings } from './run-settings.ts';

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
  return appRunSettings(db)
    .filter(({ run: { network: n } }) => n['attach-post-create'].includes(name) || n['attach-post-deploy'].includes(name) || n['initial-network'] === name)
    .map((a) => a.appId);
}
