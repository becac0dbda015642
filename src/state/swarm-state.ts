import type { Database } from './db.ts';
import { appIdOf, type StoredEvent } from './events.ts';

/**
 * What the log knows of the swarm side: images pushed for swarm apps (by local image, so a rollback
 * to a release whose image went out once deploys that same digest) and registry credentials. The
 * swarm's nodes are the engine's own state: `swarm:nodes` asks the engine, the log keeps the changes.
 */

const SWARM_EVENTS = new Set(['ReleaseImagePushed', 'RegistryLoggedIn', 'RegistryLoggedOut']);

export const isSwarmEvent = (e: StoredEvent): boolean => SWARM_EVENTS.has(e.type);

export function projectSwarm(db: Database, e: StoredEvent): void {
  switch (e.type) {
    case 'ReleaseImagePushed':
      db.prepare('INSERT INTO pushed_images (app_id, image, reference, version) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, image) DO UPDATE SET reference = excluded.reference, version = excluded.version').run(
        appIdOf(e.stream)!, e.data.image, e.data.reference, e.data.version);
      return;
    case 'RegistryLoggedIn':
      db.prepare('INSERT INTO registry_logins (server, username, password) VALUES (?, ?, ?) ON CONFLICT (server) DO UPDATE SET username = excluded.username, password = excluded.password').run(
        e.data.server, e.data.username, e.data.password);
      return;
    case 'RegistryLoggedOut':
      db.prepare('DELETE FROM registry_logins WHERE server = ?').run(e.data.server);
      return;
    default:
      return;
  }
}

/** The registry reference a local image was pushed as for this app, if it was. */
export function pushedReference(db: Database, appId: string, image: string): string | undefined {
  return db.prepare('SELECT reference FROM pushed_images WHERE app_id = ? AND image = ?').get<{ reference: string }>(appId, image)?.reference;
}

export interface RegistryLogin {
  server: string;
  username: string;
  password: string;
}

export function registryLogin(db: Database, server: string): RegistryLogin | undefined {
  return db.prepare('SELECT server, username, password FROM registry_logins WHERE server = ?').get<RegistryLogin>(server);
}

export function registryLogins(db: Database): RegistryLogin[] {
  return db.prepare('SELECT server, username, password FROM registry_logins ORDER BY server').all<RegistryLogin>();
}
