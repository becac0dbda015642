import type { Formation, Upstream } from '../lib/types.ts';
import type { Database } from './db.ts';
import { appStream, type ServiceLinkRef } from './events.ts';
import { appLinks, findServiceById } from './service-queries.ts';
import type { ReleaseContext, ReleaseRecord, ReleaseState } from './release-decider.ts';
import { getConfig } from './queries.ts';
import { normalizeRunSettings } from '../lib/run-settings.ts';
import { getRunSettings } from './run-settings.ts';
import { settingDefault, type SettingKey, type SettingNamespace } from './settings-schema.ts';

/** Reads over the build, release, formation, runtime and settings projections. */

interface RawRelease {
  version: number;
  image: string;
  image_tag: string;
  config: string;
  env: string;
  process_types: string;
  web_port: number;
  exposed_ports: string;
  app_json: string;
  description: string;
  source_sha: string | null;
  build: number | null;
  rollback_of: number | null;
  actor: string;
  created_at: string;
  status: ReleaseRecord['status'];
  pruned: number;
  nginx_template: string | null;
  run: string;
  run_with: string;
  links: string;
}

const toRelease = (r: RawRelease): ReleaseRecord => ({
  version: r.version,
  image: r.image,
  imageTag: r.image_tag,
  config: JSON.parse(r.config),
  env: JSON.parse(r.env),
  processTypes: JSON.parse(r.process_types),
  webPort: r.web_port,
  ...(r.exposed_ports && r.exposed_ports !== '[]' ? { exposedPorts: JSON.parse(r.exposed_ports) as number[] } : {}),
  appJson: JSON.parse(r.app_json),
  ...(r.nginx_template !== null ? { nginxTemplate: r.nginx_template } : {}),
  description: r.description,
  ...(r.source_sha ? { sourceSha: r.source_sha } : {}),
  ...(r.build !== null ? { build: r.build } : {}),
  ...(r.rollback_of !== null ? { rollbackOf: r.rollback_of } : {}),
  actor: r.actor,
  createdAt: r.created_at,
  status: r.status,
  pruned: r.pruned === 1,
  run: normalizeRunSettings(JSON.parse(r.run)),
  runWith: normalizeRunSettings(JSON.parse(r.run_with)),
  links: JSON.parse(r.links ?? '[]') as ServiceLinkRef[],
});

export function getRelease(db: Database, appId: string, version: number): ReleaseRecord | undefined {
  const r = db.prepare('SELECT * FROM releases WHERE app_id = ? AND version = ?').get<RawRelease>(appId, version);
  return r && toRelease(r);
}

export function listReleases(db: Database, appId: string, limit = 1_000_000): ReleaseRecord[] {
  return db.prepare('SELECT * FROM releases WHERE app_id = ? ORDER BY version DESC LIMIT ?').all<RawRelease>(appId, limit).map(toRelease);
}

export interface RuntimeRow {
  current?: number;
  stopped: boolean;
  upstreams: Upstream[];
  deployedAt?: string;
}

export function getRuntime(db: Database, appId: string): RuntimeRow {
  const r = db
    .prepare('SELECT current_release, stopped, upstreams, deployed_at FROM app_runtime WHERE app_id = ?')
    .get<{ current_release: number | null; stopped: number; upstreams: string; deployed_at: string | null }>(appId);
  return {
    ...(r?.current_release != null ? { current: r.current_release } : {}),
    stopped: r?.stopped === 1,
    upstreams: r ? JSON.parse(r.upstreams) : [],
    ...(r?.deployed_at ? { deployedAt: r.deployed_at } : {}),
  };
}

export function getFormation(db: Database, appId: string): Formation {
  const out: Formation = {};
  for (const r of db.prepare('SELECT process_type, quantity FROM formation WHERE app_id = ? ORDER BY process_type').all<{ process_type: string; quantity: number }>(appId)) {
    out[r.process_type] = r.quantity;
  }
  return out;
}

export function loadReleaseState(db: Database, appId: string): ReleaseState {
  const lastBuild = db.prepare('SELECT max(number) AS n FROM builds WHERE app_id = ?').get<{ n: number | null }>(appId)?.n ?? 0;
  const lastVersion = db.prepare('SELECT max(version) AS n FROM releases WHERE app_id = ?').get<{ n: number | null }>(appId)?.n ?? 0;
  const locked = db.prepare('SELECT locked FROM apps WHERE id = ?').get<{ locked: number }>(appId)?.locked === 1;
  const runtime = getRuntime(db, appId);
  return {
    lastBuild,
    lastVersion,
    ...(runtime.current !== undefined ? { current: runtime.current } : {}),
    stopped: runtime.stopped,
    locked,
    formation: getFormation(db, appId),
    config: getConfig(db, appId),
    run: getRunSettings(db, appId),
    links: appLinks(db, appId),
  };
}

export function releaseContext(db: Database, appId: string): ReleaseContext {
  return {
    release: (v) => getRelease(db, appId, v),
    globalConfig: getConfig(db, ''),
    globalRun: getRunSettings(db, ''),
    serviceExists: (id) => findServiceById(db, id) !== undefined,
  };
}

export interface BuildRow {
  number: number;
  status: string;
  source: string;
  sha: string | null;
  builder: string | null;
  buildpack: string | null;
  image: string | null;
  seconds: number | null;
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}

export function listBuilds(db: Database, appId: string): BuildRow[] {
  return db.prepare('SELECT * FROM builds WHERE app_id = ? ORDER BY number DESC').all<BuildRow>(appId);
}

/**
 * One setting, named by namespace and key as the schema has them: the app's value, else the
 * global one, else the schema's default. Pass '' as `appId` for the global value alone. A key the
 * schema keeps global-only has no app row, and one no command sets globally no global row, so one
 * lookup order serves every key.
 */
export function setting<N extends SettingNamespace>(db: Database, appId: string | '', namespace: N, key: SettingKey<N>): string {
  const row = db
    .prepare(`SELECT value FROM settings WHERE namespace = ? AND key = ? AND scope IN (?, '') ORDER BY scope = '' LIMIT 1`)
    .get<{ value: string }>(namespace, key, appId);
  return row?.value ?? settingDefault(namespace, key);
}

export function getSettings(db: Database, scope: string, namespace: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of db.prepare('SELECT key, value FROM settings WHERE scope = ? AND namespace = ? ORDER BY key').all<{ key: string; value: string }>(scope, namespace)) {
    out[r.key] = r.value;
  }
  return out;
}

/** Every setting the app has of its own (not the global ones), as namespace, key, value. */
export function appSettingRows(db: Database, appId: string): Array<{ namespace: string; key: string; value: string }> {
  return db.prepare('SELECT namespace, key, value FROM settings WHERE scope = ? ORDER BY namespace, key').all<{ namespace: string; key: string; value: string }>(appId);
}

export interface DeployFailure {
  version: number;
  reason: string;
  container?: string;
  output?: string[];
  at: string;
}

/** The app's last failed deploy, from its log (`logs:failed`). */
export function lastDeployFailure(db: Database, appId: string): DeployFailure | undefined {
  const row = db
    .prepare(`SELECT data, at FROM events WHERE stream = ? AND type = 'DeployFailed' ORDER BY position DESC LIMIT 1`)
    .get<{ data: string; at: string }>(appStream(appId));
  return row ? { ...(JSON.parse(row.data) as Omit<DeployFailure, 'at'>), at: row.at } : undefined;
}
