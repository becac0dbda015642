import type { AccessState, KeyRecord } from './access-decider.ts';
import type { Database } from './db.ts';

/** Reads over the ssh_keys and acl projections. */

export interface KeyRow extends KeyRecord {
  keyType: string;
  publicKey: string;
  addedAt: string;
  /** Names of the apps a non-admin key may use, sorted. */
  apps: string[];
}

interface RawKey {
  name: string;
  fingerprint: string;
  key_type: string;
  public_key: string;
  admin: number;
  added_at: string;
}

export function listKeys(db: Database): KeyRow[] {
  const apps = new Map<string, string[]>();
  for (const r of db
    .prepare('SELECT acl.key_name AS key, apps.name AS app FROM acl JOIN apps ON apps.id = acl.app_id ORDER BY apps.name')
    .all<{ key: string; app: string }>()) {
    apps.set(r.key, [...(apps.get(r.key) ?? []), r.app]);
  }
  return db
    .prepare('SELECT * FROM ssh_keys ORDER BY added_at, name')
    .all<RawKey>()
    .map((r) => ({
      name: r.name,
      fingerprint: r.fingerprint,
      keyType: r.key_type,
      publicKey: r.public_key,
      admin: r.admin === 1,
      addedAt: r.added_at,
      apps: apps.get(r.name) ?? [],
    }));
}

export function findKeyByFingerprint(db: Database, fingerprint: string): KeyRecord | undefined {
  const r = db.prepare('SELECT name, fingerprint, admin FROM ssh_keys WHERE fingerprint = ?').get<{ name: string; fingerprint: string; admin: number }>(fingerprint);
  return r && { name: r.name, fingerprint: r.fingerprint, admin: r.admin === 1 };
}

export function hasGrant(db: Database, key: string, appId: string): boolean {
  return db.prepare('SELECT 1 AS ok FROM acl WHERE key_name = ? AND app_id = ?').get<{ ok: number }>(key, appId) !== undefined;
}

/** Ids of the apps a key was given. */
export function grantedAppIds(db: Database, key: string): Set<string> {
  return new Set(db.prepare('SELECT app_id FROM acl WHERE key_name = ?').all<{ app_id: string }>(key).map((r) => r.app_id));
}

export function loadAccessState(db: Database): AccessState {
  const keys = db.prepare('SELECT name, fingerprint, admin FROM ssh_keys').all<{ name: string; fingerprint: string; admin: number }>();
  const grants: Record<string, string[]> = {};
  for (const r of db.prepare('SELECT key_name, app_id FROM acl ORDER BY key_name, app_id').all<{ key_name: string; app_id: string }>()) {
    (grants[r.key_name] ??= []).push(r.app_id);
  }
  const serviceGrants: Record<string, string[]> = {};
  for (const r of db.prepare('SELECT key_name, service_id FROM service_grants ORDER BY key_name, service_id').all<{ key_name: string; service_id: string }>()) {
    (serviceGrants[r.key_name] ??= []).push(r.service_id);
  }
  return { keys: keys.map((k) => ({ name: k.name, fingerprint: k.fingerprint, admin: k.admin === 1 })), grants, serviceGrants };
}

/**
 * The domain suffixes an admin granted a key (`acl:set KEY domains …`), folded from the log: the
 * last KeyDomainsSet since the key (by that name) was last removed. Empty: no grant.
 */
export function grantedDomains(db: Database, key: string): string[] {
  let domains: string[] = [];
  for (const r of db
    .prepare("SELECT type, data FROM events WHERE type IN ('KeyDomainsSet', 'SshKeyRemoved') ORDER BY position")
    .all<{ type: string; data: string }>()) {
    const d = JSON.parse(r.data) as { key?: string; name?: string; domains?: string[] };
    if (r.type === 'SshKeyRemoved' && d.name === key) domains = [];
    if (r.type === 'KeyDomainsSet' && d.key === key) domains = d.domains ?? [];
  }
  return domains;
}
