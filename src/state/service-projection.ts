import type { Database } from './db.ts';
import { appIdOf, serviceIdOf, type StoredEvent } from './events.ts';

/** The service tables folded from service streams, the app streams' links and the access stream's grants. */

const SERVICE_EVENTS = new Set([
  'ServiceCreated', 'ServiceDestroyed', 'ServiceStopped', 'ServiceStarted', 'ServiceRestarted', 'ServiceExposed', 'ServiceUnexposed',
  'ServiceUpgraded', 'ServiceImported', 'ServiceExported', 'ServiceBackupScheduled', 'ServiceBackupUnscheduled',
  'ServiceLinked', 'ServiceUnlinked', 'ServiceAccessGranted', 'ServiceAccessRevoked',
]);

export const isServiceEvent = (e: StoredEvent): boolean => SERVICE_EVENTS.has(e.type);

export function projectService(db: Database, e: StoredEvent): void {
  const id = serviceIdOf(e.stream);
  switch (e.type) {
    case 'ServiceCreated': {
      const d = e.data;
      db.prepare('INSERT INTO services (id, kind, name, image, password, memory, shm_size, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        id!, d.kind, d.name, d.image, d.password, d.memory ?? null, d.shmSize ?? null, e.at, e.actor);
      return;
    }
    case 'ServiceDestroyed':
      db.prepare('DELETE FROM services WHERE id = ?').run(id!);
      db.prepare('DELETE FROM service_links WHERE service_id = ?').run(id!);
      db.prepare('DELETE FROM service_grants WHERE service_id = ?').run(id!);
      return;
    case 'ServiceStopped':
    case 'ServiceStarted':
      db.prepare('UPDATE services SET stopped = ? WHERE id = ?').run(e.type === 'ServiceStopped' ? 1 : 0, id!);
      return;
    case 'ServiceExposed':
      db.prepare('UPDATE services SET exposed = ? WHERE id = ?').run(JSON.stringify(e.data.ports), id!);
      return;
    case 'ServiceUnexposed':
      db.prepare(`UPDATE services SET exposed = '[]' WHERE id = ?`).run(id!);
      return;
    case 'ServiceUpgraded':
      db.prepare('UPDATE services SET image = ? WHERE id = ?').run(e.data.image, id!);
      return;
    case 'ServiceBackupScheduled':
      db.prepare('UPDATE services SET backup_schedule = ?, backup_keep = ? WHERE id = ?').run(e.data.schedule, e.data.keep, id!);
      return;
    case 'ServiceBackupUnscheduled':
      db.prepare('UPDATE services SET backup_schedule = NULL, backup_keep = NULL WHERE id = ?').run(id!);
      return;
    case 'ServiceLinked':
      db.prepare(
        'INSERT INTO service_links (app_id, service_id, alias, linked_at) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, service_id) DO UPDATE SET alias = excluded.alias',
      ).run(appIdOf(e.stream)!, e.data.serviceId, e.data.alias, e.at);
      return;
    case 'ServiceUnlinked':
      db.prepare('DELETE FROM service_links WHERE app_id = ? AND service_id = ?').run(appIdOf(e.stream)!, e.data.serviceId);
      return;
    case 'ServiceAccessGranted':
      db.prepare('INSERT OR IGNORE INTO service_grants (key_name, service_id) VALUES (?, ?)').run(e.data.key, e.data.serviceId);
      return;
    case 'ServiceAccessRevoked':
      db.prepare('DELETE FROM service_grants WHERE key_name = ? AND service_id = ?').run(e.data.key, e.data.serviceId);
      return;
    default:
      // ServiceRestarted, ServiceImported, ServiceExported: facts for the audit log, no table.
      return;
  }
}
