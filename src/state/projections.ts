import type { Database } from './db.ts';
import { appIdOf, type StoredEvent } from './events.ts';
import { isRunSettingEvent, projectRunSettings } from './run-settings.ts';
import { isServiceEvent, projectService } from './service-projection.ts';
import { isPluginEvent, projectPlugin } from './plugin-state.ts';
import { isSwarmEvent, projectSwarm } from './swarm-state.ts';

/** Tables derived from the log; `state:rebuild` empties and refolds exactly these. */
export const PROJECTION_TABLES = ['apps', 'app_names', 'config', 'builds', 'releases', 'formation', 'app_runtime', 'settings', 'domains', 'ports', 'certs', 'ssh_keys', 'acl', 'run_settings', 'cron_suspended', 'cron_runs', 'storage_entries', 'networks', 'services', 'service_links', 'service_grants', 'plugins', 'plugin_properties', 'pushed_images', 'registry_logins'] as const;

/** Config scope for an event's stream: the app id, or '' for the global stream. */
export const scopeOf = (stream: string): string => appIdOf(stream) ?? '';

/**
 * Folds one event into the projection tables. Runs inside the append transaction, so readers
 * never see the log and the projections disagree.
 */
export function project(db: Database, e: StoredEvent): void {
  if (isRunSettingEvent(e)) return projectRunSettings(db, scopeOf(e.stream), e);
  if (isServiceEvent(e)) return projectService(db, e);
  if (isPluginEvent(e)) return projectPlugin(db, e);
  if (isSwarmEvent(e)) return projectSwarm(db, e);
  switch (e.type) {
    case 'AppCreated': {
      const d = e.data;
      const id = appIdOf(e.stream)!;
      db.prepare('INSERT INTO apps (id, name, created_at, locked) VALUES (?, ?, ?, 0)').run(id, d.name, e.at);
      db.prepare('INSERT OR IGNORE INTO app_names (name, app_id) VALUES (?, ?)').run(d.name, id);
      db.prepare('INSERT INTO app_runtime (app_id) VALUES (?)').run(id);
      return;
    }
    case 'AppRenamed': {
      const d = e.data;
      db.prepare('UPDATE apps SET name = ? WHERE id = ?').run(d.to, appIdOf(e.stream)!);
      db.prepare('INSERT OR IGNORE INTO app_names (name, app_id) VALUES (?, ?)').run(d.to, appIdOf(e.stream)!);
      return;
    }
    case 'AppDestroyed': {
      const id = appIdOf(e.stream)!;
      db.prepare('DELETE FROM apps WHERE id = ?').run(id);
      db.prepare('DELETE FROM config WHERE scope = ?').run(id);
      db.prepare('DELETE FROM settings WHERE scope = ?').run(id);
      db.prepare('DELETE FROM domains WHERE scope = ?').run(id);
      for (const t of ['ports', 'certs']) db.prepare(`DELETE FROM ${t} WHERE app_id = ?`).run(id);
      for (const t of ['builds', 'releases', 'formation', 'app_runtime', 'acl', 'run_settings', 'cron_suspended', 'cron_runs', 'service_links', 'plugin_properties', 'pushed_images']) db.prepare(`DELETE FROM ${t} WHERE app_id = ?`).run(id);
      return;
    }
    case 'AppLocked':
    case 'AppUnlocked':
      db.prepare('UPDATE apps SET locked = ? WHERE id = ?').run(e.type === 'AppLocked' ? 1 : 0, appIdOf(e.stream)!);
      return;
    case 'ConfigSet': {
      const d = e.data;
      const upsert = db.prepare(
        'INSERT INTO config (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
      );
      const scope = scopeOf(e.stream);
      for (const [k, v] of Object.entries(d.vars)) upsert.run(scope, k, v);
      return;
    }
    case 'ConfigUnset': {
      const d = e.data;
      const del = db.prepare('DELETE FROM config WHERE scope = ? AND key = ?');
      const scope = scopeOf(e.stream);
      for (const k of d.keys) del.run(scope, k);
      return;
    }
    case 'BuildStarted': {
      const d = e.data;
      db.prepare(`INSERT INTO builds (app_id, number, status, source, sha, started_at) VALUES (?, ?, 'running', ?, ?, ?)`).run(
        appIdOf(e.stream)!, d.build, d.source, d.sha ?? null, e.at);
      return;
    }
    case 'BuildSucceeded': {
      const d = e.data;
      db.prepare(`UPDATE builds SET status = 'succeeded', builder = ?, buildpack = ?, image = ?, seconds = ?, finished_at = ? WHERE app_id = ? AND number = ?`).run(
        d.builder, d.buildpack ?? null, d.image, d.seconds, e.at, appIdOf(e.stream)!, d.build);
      return;
    }
    case 'BuildFailed': {
      const d = e.data;
      // Dokku's word for a build stopped by builds:cancel.
      db.prepare(`UPDATE builds SET status = ?, reason = ?, finished_at = ? WHERE app_id = ? AND number = ?`).run(
        d.cancelled ? 'canceled' : 'failed', d.reason, e.at, appIdOf(e.stream)!, d.build);
      return;
    }
    case 'ReleaseCreated': {
      const d = e.data;
      db.prepare(
        `INSERT INTO releases (app_id, version, image, image_tag, config, env, process_types, web_port, app_json, description,
           source_sha, build, rollback_of, actor, created_at, status, nginx_template, exposed_ports, run, run_with, links)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?)`,
      ).run(appIdOf(e.stream)!, d.version, d.image, d.imageTag, JSON.stringify(d.config), JSON.stringify(d.env), JSON.stringify(d.processTypes),
        d.webPort, JSON.stringify(d.appJson), d.description, d.sourceSha ?? null, d.build ?? null, d.rollbackOf ?? null, e.actor, e.at,
        d.nginxTemplate ?? null, JSON.stringify(d.exposedPorts ?? []), JSON.stringify(d.run ?? {}), JSON.stringify(d.runWith ?? {}), JSON.stringify(d.links ?? []));
      return;
    }
    case 'DeployStarted':
    case 'DeployFailed': {
      const d = e.data;
      db.prepare('UPDATE releases SET status = ? WHERE app_id = ? AND version = ?').run(
        e.type === 'DeployStarted' ? 'deploying' : 'failed', appIdOf(e.stream)!, d.version);
      return;
    }
    case 'TrafficSwitched': {
      const d = e.data;
      db.prepare('UPDATE app_runtime SET upstreams = ? WHERE app_id = ?').run(JSON.stringify(d.upstreams), appIdOf(e.stream)!);
      return;
    }
    case 'DeploySucceeded': {
      const d = e.data;
      const id = appIdOf(e.stream)!;
      db.prepare(`UPDATE releases SET status = 'deployed' WHERE app_id = ? AND version = ?`).run(id, d.version);
      db.prepare('UPDATE app_runtime SET current_release = ?, deployed_at = ?, stopped = 0 WHERE app_id = ?').run(d.version, e.at, id);
      return;
    }
    case 'Scaled': {
      const d = e.data;
      const id = appIdOf(e.stream)!;
      for (const [type, n] of Object.entries(d.formation)) {
        db.prepare(
          'INSERT INTO formation (app_id, process_type, quantity) VALUES (?, ?, ?) ON CONFLICT (app_id, process_type) DO UPDATE SET quantity = excluded.quantity',
        ).run(id, type, n);
      }
      return;
    }
    case 'ProcessesStopped':
    case 'ProcessesStarted':
      db.prepare('UPDATE app_runtime SET stopped = ? WHERE app_id = ?').run(e.type === 'ProcessesStopped' ? 1 : 0, appIdOf(e.stream)!);
      return;
    case 'ReleaseImagesPruned': {
      const d = e.data;
      for (const v of d.versions) db.prepare('UPDATE releases SET pruned = 1 WHERE app_id = ? AND version = ?').run(appIdOf(e.stream)!, v);
      return;
    }
    case 'SettingSet': {
      const d = e.data;
      const scope = scopeOf(e.stream);
      if (d.value === null) db.prepare('DELETE FROM settings WHERE scope = ? AND namespace = ? AND key = ?').run(scope, d.namespace, d.key);
      else
        db.prepare(
          'INSERT INTO settings (scope, namespace, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (scope, namespace, key) DO UPDATE SET value = excluded.value',
        ).run(scope, d.namespace, d.key, d.value);
      return;
    }
    case 'NetworkCreated':
      db.prepare('INSERT INTO networks (name, created_at, actor) VALUES (?, ?, ?)').run(e.data.name, e.at, e.actor);
      return;
    case 'NetworkDestroyed':
      db.prepare('DELETE FROM networks WHERE name = ?').run(e.data.name);
      return;
    case 'StorageEntryCreated':
      db.prepare('INSERT INTO storage_entries (name, path, app_id, chown, created_at, actor) VALUES (?, ?, ?, ?, ?, ?)').run(e.data.name, e.data.path, e.data.appId ?? null, e.data.chown, e.at, e.actor);
      return;
    case 'StorageEntryDestroyed':
      db.prepare('DELETE FROM storage_entries WHERE name = ?').run(e.data.name);
      return;
    case 'CronSuspended':
      db.prepare('INSERT OR IGNORE INTO cron_suspended (app_id, task_id) VALUES (?, ?)').run(appIdOf(e.stream)!, e.data.id ?? '*');
      return;
    case 'CronResumed':
      // Resuming everything clears every suspension; one task's resume clears only its own.
      if (e.data.id === undefined) db.prepare('DELETE FROM cron_suspended WHERE app_id = ?').run(appIdOf(e.stream)!);
      else db.prepare('DELETE FROM cron_suspended WHERE app_id = ? AND task_id = ?').run(appIdOf(e.stream)!, e.data.id);
      return;
    case 'CronRunStarted':
      db.prepare(
        `INSERT INTO cron_runs (app_id, task_id, container, started_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (app_id, task_id) DO UPDATE SET container = excluded.container, started_at = excluded.started_at, finished_at = NULL, exit_code = NULL, seconds = NULL`,
      ).run(appIdOf(e.stream)!, e.data.id, e.data.container ?? '', e.at);
      return;
    case 'CronRunFinished':
      db.prepare('UPDATE cron_runs SET finished_at = ?, exit_code = ?, seconds = ? WHERE app_id = ? AND task_id = ?').run(e.at, e.data.exitCode, e.data.seconds, appIdOf(e.stream)!, e.data.id);
      return;
    case 'SshKeyAdded': {
      const d = e.data;
      db.prepare('INSERT INTO ssh_keys (name, fingerprint, key_type, public_key, admin, added_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        d.name, d.fingerprint, d.keyType, d.publicKey, d.admin ? 1 : 0, e.at);
      return;
    }
    case 'SshKeyRemoved': {
      const d = e.data;
      db.prepare('DELETE FROM ssh_keys WHERE name = ?').run(d.name);
      db.prepare('DELETE FROM acl WHERE key_name = ?').run(d.name);
      db.prepare('DELETE FROM service_grants WHERE key_name = ?').run(d.name);
      return;
    }
    case 'AccessGranted':
    case 'AccessRevoked': {
      const d = e.data;
      if (e.type === 'AccessGranted') db.prepare('INSERT OR IGNORE INTO acl (key_name, app_id) VALUES (?, ?)').run(d.key, d.appId);
      else db.prepare('DELETE FROM acl WHERE key_name = ? AND app_id = ?').run(d.key, d.appId);
      return;
    }
    case 'DomainAdded':
    case 'DomainRemoved': {
      const d = e.data;
      if (e.type === 'DomainAdded') db.prepare('INSERT OR IGNORE INTO domains (scope, domain, added_at) VALUES (?, ?, ?)').run(scopeOf(e.stream), d.domain, e.at);
      else db.prepare('DELETE FROM domains WHERE scope = ? AND domain = ?').run(scopeOf(e.stream), d.domain);
      return;
    }
    case 'PortsSet': {
      const d = e.data;
      const id = appIdOf(e.stream)!;
      db.prepare('DELETE FROM ports WHERE app_id = ?').run(id);
      d.ports.forEach((m, i) => db.prepare('INSERT INTO ports (app_id, position, mapping) VALUES (?, ?, ?)').run(id, i, m));
      return;
    }
    case 'CertAdded': {
      const d = e.data;
      db.prepare(
        `INSERT INTO certs (app_id, source, subject, issuer, names, not_before, not_after, fingerprint, serial, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (app_id) DO UPDATE SET source = excluded.source, subject = excluded.subject, issuer = excluded.issuer, names = excluded.names,
           not_before = excluded.not_before, not_after = excluded.not_after, fingerprint = excluded.fingerprint, serial = excluded.serial, added_at = excluded.added_at`,
      ).run(appIdOf(e.stream)!, d.source, d.subject, d.issuer, JSON.stringify(d.names), d.notBefore, d.notAfter, d.fingerprint, d.serial, e.at);
      return;
    }
    case 'CertRemoved':
      db.prepare('DELETE FROM certs WHERE app_id = ?').run(appIdOf(e.stream)!);
      return;
    default: {
      // An event type this binary does not project (written by a newer version) changes nothing here.
      return;
    }
  }
}
