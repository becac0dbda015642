import { parsePortMapping, type PortMapping } from '../lib/ports.ts';
import { globalDomainFor } from '../lib/domains.ts';
import type { Database } from './db.ts';
import type { CertInfo } from './events.ts';
import type { ProxyContext, ProxyState } from './proxy-decider.ts';

/** Reads over the domains, ports and certs projections. */

/** Domains of an app (by id), or the global domains for scope ''. */
export function listDomains(db: Database, scope: string): string[] {
  return db.prepare('SELECT domain FROM domains WHERE scope = ? ORDER BY added_at, domain').all<{ domain: string }>(scope).map((r) => r.domain);
}

export function getPorts(db: Database, appId: string): PortMapping[] {
  return db.prepare('SELECT mapping FROM ports WHERE app_id = ? ORDER BY position').all<{ mapping: string }>(appId).map((r) => parsePortMapping(r.mapping));
}

/** Every host port some app's own mappings name (nginx listens on them for dokku). */
export function allMappedHostPorts(db: Database): number[] {
  return db.prepare('SELECT mapping FROM ports').all<{ mapping: string }>().map((r) => parsePortMapping(r.mapping).host);
}

interface RawCert {
  source: CertInfo['source'];
  subject: string;
  issuer: string;
  names: string;
  not_before: string;
  not_after: string;
  fingerprint: string;
  serial: string;
}

export function getCert(db: Database, appId: string): CertInfo | undefined {
  const r = db.prepare('SELECT * FROM certs WHERE app_id = ?').get<RawCert>(appId);
  return r && { source: r.source, subject: r.subject, issuer: r.issuer, names: JSON.parse(r.names), notBefore: r.not_before, notAfter: r.not_after, fingerprint: r.fingerprint, serial: r.serial };
}

/** Apps (by id) whose certificate came from Let's Encrypt. */
export function letsencryptApps(db: Database): Array<{ appId: string; name: string; notAfter: string }> {
  return db
    .prepare(`SELECT c.app_id, a.name, c.not_after FROM certs c JOIN apps a ON a.id = c.app_id WHERE c.source = 'letsencrypt' ORDER BY a.name`)
    .all<{ app_id: string; name: string; not_after: string }>()
    .map((r) => ({ appId: r.app_id, name: r.name, notAfter: r.not_after }));
}

export function proxyState(db: Database, appId: string): ProxyState {
  const cert = getCert(db, appId);
  return { domains: listDomains(db, appId), ports: getPorts(db, appId), ...(cert ? { cert } : {}) };
}

/**
 * Which app other than `appId` answers to a domain: one that added it, or one whose name and a
 * global domain make it (`<app>.<global>`).
 */
export function ownerOf(db: Database, domain: string, appId: string): string | undefined {
  const own = db
    .prepare(`SELECT a.name FROM domains d JOIN apps a ON a.id = d.scope WHERE d.domain = ? AND d.scope <> ?`)
    .get<{ name: string }>(domain, appId);
  if (own) return own.name;
  for (const g of listDomains(db, '')) {
    if (!domain.endsWith(`.${g}`)) continue;
    const name = domain.slice(0, -g.length - 1);
    const app = db.prepare('SELECT id, name FROM apps WHERE name = ?').get<{ id: string; name: string }>(name);
    if (app && app.id !== appId && globalDomainFor(app.name, g) === domain) return app.name;
  }
  return undefined;
}

export function proxyContext(db: Database, appId: string): ProxyContext {
  return { ownerOf: (d) => ownerOf(db, d, appId) };
}

/** True when another app added this domain itself (it then wins over a global `<app>.<domain>`). */
export function domainTakenExplicitly(db: Database, domain: string, appId: string): boolean {
  return db.prepare(`SELECT 1 AS x FROM domains WHERE domain = ? AND scope <> '' AND scope <> ?`).get<{ x: number }>(domain, appId) !== undefined;
}

/** Every domain an app other than `appId` answers to (own ones, wildcards included, and `<app>.<global>`). */
export function othersDomains(db: Database, appId: string): string[] {
  const own = db.prepare(`SELECT domain FROM domains WHERE scope <> '' AND scope <> ?`).all<{ domain: string }>(appId).map((r) => r.domain);
  const globals = listDomains(db, '');
  const apps = db.prepare('SELECT name FROM apps WHERE id <> ?').all<{ name: string }>(appId).map((r) => r.name);
  return [...own, ...apps.flatMap((a) => globals.map((g) => globalDomainFor(a, g)))];
}

/** Host ports apps with vhosts off are served on (`domains host-port`). */
export function vhostlessHostPorts(db: Database): number[] {
  return db.prepare(`SELECT value FROM settings WHERE namespace = 'domains' AND key = 'host-port' AND value <> ''`).all<{ value: string }>().map((r) => Number(r.value));
}
