import type { Database } from './db.ts';
import type { ServiceLinkRef } from './events.ts';

/** Reads over the service tables. */

export interface ServiceRow {
  id: string;
  kind: string;
  name: string;
  image: string;
  password: string;
  memory?: string;
  shmSize?: string;
  stopped: boolean;
  /** Host ports it is published on (`expose`), in the order of the kind's ports. */
  exposed: number[];
  backupSchedule?: string;
  backupKeep?: number;
  createdAt: string;
  actor: string;
}

interface RawService {
  id: string;
  kind: string;
  name: string;
  image: string;
  password: string;
  memory: string | null;
  shm_size: string | null;
  stopped: number;
  exposed: string;
  backup_schedule: string | null;
  backup_keep: number | null;
  created_at: string;
  actor: string;
}

const toService = (r: RawService): ServiceRow => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  image: r.image,
  password: r.password,
  ...(r.memory !== null ? { memory: r.memory } : {}),
  ...(r.shm_size !== null ? { shmSize: r.shm_size } : {}),
  stopped: r.stopped === 1,
  exposed: JSON.parse(r.exposed) as number[],
  ...(r.backup_schedule !== null ? { backupSchedule: r.backup_schedule } : {}),
  ...(r.backup_keep !== null ? { backupKeep: r.backup_keep } : {}),
  createdAt: r.created_at,
  actor: r.actor,
});

export function findService(db: Database, kind: string, name: string): ServiceRow | undefined {
  const r = db.prepare('SELECT * FROM services WHERE kind = ? AND name = ?').get<RawService>(kind, name);
  return r && toService(r);
}

export function findServiceById(db: Database, id: string): ServiceRow | undefined {
  const r = db.prepare('SELECT * FROM services WHERE id = ?').get<RawService>(id);
  return r && toService(r);
}

/** Every service, or those of one kind, by name. */
export function listServices(db: Database, kind?: string): ServiceRow[] {
  const rows = kind === undefined
    ? db.prepare('SELECT * FROM services ORDER BY kind, name').all<RawService>()
    : db.prepare('SELECT * FROM services WHERE kind = ? ORDER BY name').all<RawService>(kind);
  return rows.map(toService);
}

/** The services linked to an app, in the order they were linked. */
export function appLinks(db: Database, appId: string): ServiceLinkRef[] {
  return db
    .prepare('SELECT s.id, s.kind, s.name, l.alias FROM service_links l JOIN services s ON s.id = l.service_id WHERE l.app_id = ? ORDER BY l.linked_at, s.kind, s.name')
    .all<{ id: string; kind: string; name: string; alias: string }>(appId)
    .map((r) => ({ serviceId: r.id, kind: r.kind, name: r.name, alias: r.alias }));
}

/** The apps a service is linked to: their ids and names, by name. */
export function serviceLinks(db: Database, serviceId: string): Array<{ appId: string; app: string; alias: string }> {
  return db
    .prepare('SELECT a.id, a.name, l.alias FROM service_links l JOIN apps a ON a.id = l.app_id WHERE l.service_id = ? ORDER BY a.name')
    .all<{ id: string; name: string; alias: string }>(serviceId)
    .map((r) => ({ appId: r.id, app: r.name, alias: r.alias }));
}

export function hasServiceGrant(db: Database, key: string, serviceId: string): boolean {
  return db.prepare('SELECT 1 AS ok FROM service_grants WHERE key_name = ? AND service_id = ?').get<{ ok: number }>(key, serviceId) !== undefined;
}

export function serviceGrantKeys(db: Database, serviceId: string): string[] {
  return db.prepare('SELECT key_name FROM service_grants WHERE service_id = ? ORDER BY key_name').all<{ key_name: string }>(serviceId).map((r) => r.key_name);
}

/** The services of one kind a key was given, by name. */
export function grantedServices(db: Database, key: string, kind: string): string[] {
  return db
    .prepare('SELECT s.name FROM service_grants g JOIN services s ON s.id = g.service_id WHERE g.key_name = ? AND s.kind = ? ORDER BY s.name')
    .all<{ name: string }>(key, kind)
    .map((r) => r.name);
}
