import { UserError } from '../lib/errors.ts';
import type { Database } from './db.ts';
import type { DomainEvent, PluginInstallData, StoredEvent } from './events.ts';

/**
 * Plugins in the log: one stream per plugin name (`plugin/<name>`), folded into `plugins` and
 * `plugin_properties`; the decisions are pure over the plugin's row.
 */

export interface PluginRow {
  name: string;
  source: string;
  kind: PluginInstallData['kind'];
  committish?: string;
  commit?: string;
  version: string;
  description: string;
  enabled: boolean;
  installedAt: string;
  updatedAt: string;
  actor: string;
}

const PLUGIN_EVENTS = new Set(['PluginInstalled', 'PluginUpdated', 'PluginEnabled', 'PluginDisabled', 'PluginUninstalled', 'PluginPropertySet', 'PluginPropertyUnset']);

export const isPluginEvent = (e: StoredEvent): boolean => PLUGIN_EVENTS.has(e.type);

export function projectPlugin(db: Database, e: StoredEvent): void {
  switch (e.type) {
    case 'PluginInstalled': {
      const d = e.data;
      db.prepare('INSERT INTO plugins (name, source, kind, committish, commit_sha, version, description, enabled, installed_at, updated_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)').run(
        d.name, d.source, d.kind, d.committish ?? null, d.commit ?? null, d.version, d.description, e.at, e.at, e.actor);
      return;
    }
    case 'PluginUpdated': {
      const d = e.data;
      db.prepare('UPDATE plugins SET source = ?, kind = ?, committish = ?, commit_sha = ?, version = ?, description = ?, updated_at = ? WHERE name = ?').run(
        d.source, d.kind, d.committish ?? null, d.commit ?? null, d.version, d.description, e.at, d.name);
      return;
    }
    case 'PluginEnabled':
    case 'PluginDisabled':
      db.prepare('UPDATE plugins SET enabled = ? WHERE name = ?').run(e.type === 'PluginEnabled' ? 1 : 0, e.data.name);
      return;
    case 'PluginUninstalled':
      db.prepare('DELETE FROM plugins WHERE name = ?').run(e.data.name);
      db.prepare('DELETE FROM plugin_properties WHERE plugin = ?').run(e.data.name);
      return;
    case 'PluginPropertySet':
      db.prepare('INSERT INTO plugin_properties (plugin, app_id, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (plugin, app_id, key) DO UPDATE SET value = excluded.value').run(
        e.data.plugin, e.data.appId ?? '', e.data.key, e.data.value);
      return;
    case 'PluginPropertyUnset':
      db.prepare('DELETE FROM plugin_properties WHERE plugin = ? AND app_id = ? AND key = ?').run(e.data.plugin, e.data.appId ?? '', e.data.key);
      return;
    default:
      return;
  }
}

interface Row {
  name: string;
  source: string;
  kind: PluginInstallData['kind'];
  committish: string | null;
  commit_sha: string | null;
  version: string;
  description: string;
  enabled: number;
  installed_at: string;
  updated_at: string;
  actor: string;
}

const toPlugin = (r: Row): PluginRow => ({
  name: r.name,
  source: r.source,
  kind: r.kind,
  ...(r.committish ? { committish: r.committish } : {}),
  ...(r.commit_sha ? { commit: r.commit_sha } : {}),
  version: r.version,
  description: r.description,
  enabled: r.enabled === 1,
  installedAt: r.installed_at,
  updatedAt: r.updated_at,
  actor: r.actor,
});

export function listPluginRows(db: Database): PluginRow[] {
  return (db.prepare('SELECT * FROM plugins ORDER BY name').all() as Row[]).map(toPlugin);
}

export function getPluginRow(db: Database, name: string): PluginRow | undefined {
  const r = db.prepare('SELECT * FROM plugins WHERE name = ?').get(name) as Row | undefined;
  return r ? toPlugin(r) : undefined;
}

/** A plugin's properties for one app ('' for the global ones), by key. */
export function pluginProperties(db: Database, plugin: string, appId: string): Record<string, string> {
  const rows = db.prepare('SELECT key, value FROM plugin_properties WHERE plugin = ? AND app_id = ? ORDER BY key').all(plugin, appId) as Array<{ key: string; value: string }>;
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export type PluginCommand =
  | { type: 'install'; data: PluginInstallData }
  | { type: 'update'; data: PluginInstallData }
  | { type: 'enable' }
  | { type: 'disable' }
  | { type: 'uninstall' }
  | { type: 'property-set'; appId?: string; key: string; value: string }
  | { type: 'property-unset'; appId?: string; key: string; current?: string };

/** Decisions for one plugin's stream, over its row (absent before it is installed). */
export function decidePlugin(name: string, command: PluginCommand, row: PluginRow | undefined): DomainEvent[] {
  if (command.type === 'install') {
    if (row) throw new UserError(`Plugin ${name} is already installed (plugin:update ${name} fetches it again)`);
    return [{ type: 'PluginInstalled', data: command.data }];
  }
  if (!row) throw new UserError(`Plugin ${name} is not installed`);
  switch (command.type) {
    case 'update':
      return [{ type: 'PluginUpdated', data: { ...command.data, ...(row.commit ? { fromCommit: row.commit } : {}), fromVersion: row.version } }];
    case 'enable':
      return row.enabled ? [] : [{ type: 'PluginEnabled', data: { name } }];
    case 'disable':
      return row.enabled ? [{ type: 'PluginDisabled', data: { name } }] : [];
    case 'uninstall':
      return [{ type: 'PluginUninstalled', data: { name } }];
    case 'property-set':
      return [{ type: 'PluginPropertySet', data: { plugin: name, ...(command.appId ? { appId: command.appId } : {}), key: command.key, value: command.value } }];
    case 'property-unset':
      if (command.current === undefined) return [];
      return [{ type: 'PluginPropertyUnset', data: { plugin: name, ...(command.appId ? { appId: command.appId } : {}), key: command.key } }];
  }
}
