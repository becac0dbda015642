import { normalizeRunSettings, type RunSettings } from '../lib/run-settings.ts';
import type { Database } from './db.ts';
import type { DomainEvent } from './events.ts';

/**
 * The run settings document of one scope (an app id, or '' for global), folded from its events.
 * `evolveRunSettings` is the one fold: the projection applies it inside the append, and a decider
 * uses it to predict what its own events lead to.
 */

export const RUN_SETTING_EVENTS = [
  'StorageMounted',
  'StorageUnmounted',
  'ResourceSet',
  'ResourceCleared',
  'DockerOptionAdded',
  'DockerOptionRemoved',
  'DockerOptionsCleared',
  'NetworkPropertySet',
  'RunSettingsRestored',
] as const satisfies readonly DomainEvent['type'][];

export function isRunSettingEvent(e: DomainEvent): boolean {
  return (RUN_SETTING_EVENTS as readonly string[]).includes(e.type);
}

const sameMount = (a: { host: string; container: string }, b: { host: string; container: string }) => a.host === b.host && a.container === b.container;

export function evolveRunSettings(doc: RunSettings, e: DomainEvent): RunSettings {
  const next = normalizeRunSettings(structuredClone(doc));
  switch (e.type) {
    case 'StorageMounted':
      if (!next.mounts.some((m) => sameMount(m, e.data.mount))) next.mounts.push(e.data.mount);
      return next;
    case 'StorageUnmounted':
      next.mounts = next.mounts.filter((m) => !sameMount(m, e.data.mount));
      return next;
    case 'ResourceSet': {
      const table = e.data.kind === 'limit' ? next.limits : next.reservations;
      table[e.data.processType] = { ...(table[e.data.processType] ?? {}), ...e.data.values };
      return next;
    }
    case 'ResourceCleared': {
      const key = e.data.kind === 'limit' ? 'limits' : 'reservations';
      if (e.data.processType === undefined) next[key] = {};
      else delete next[key][e.data.processType];
      return next;
    }
    case 'DockerOptionAdded':
      for (const phase of e.data.phases) if (!next.dockerOptions[phase].includes(e.data.option)) next.dockerOptions[phase].push(e.data.option);
      return next;
    case 'DockerOptionRemoved':
      for (const phase of e.data.phases) next.dockerOptions[phase] = next.dockerOptions[phase].filter((o) => o !== e.data.option);
      return next;
    case 'DockerOptionsCleared':
      for (const phase of e.data.phases) next.dockerOptions[phase] = [];
      return next;
    case 'NetworkPropertySet':
      (next.network as unknown as Record<string, unknown>)[e.data.key] = e.data.value;
      return next;
    case 'RunSettingsRestored':
      return normalizeRunSettings(structuredClone(e.data.run));
    default:
      return next;
  }
}

/** The stored document of a scope (app id, or '' for the global one). */
export function getRunSettings(db: Database, scope: string): RunSettings {
  const row = db.prepare('SELECT doc FROM run_settings WHERE app_id = ?').get<{ doc: string }>(scope);
  return normalizeRunSettings(row ? (JSON.parse(row.doc) as Partial<RunSettings>) : undefined);
}

/** Every app's own document, by app id (the global one left out). */
export function appRunSettings(db: Database): Array<{ appId: string; run: RunSettings }> {
  return db
    .prepare("SELECT app_id, doc FROM run_settings WHERE app_id != '' ORDER BY app_id")
    .all<{ app_id: string; doc: string }>()
    .map((r) => ({ appId: r.app_id, run: normalizeRunSettings(JSON.parse(r.doc) as Partial<RunSettings>) }));
}

/** The projection's write: called by projections.ts inside the append. */
export function projectRunSettings(db: Database, scope: string, e: DomainEvent): void {
  const doc = evolveRunSettings(getRunSettings(db, scope), e);
  db.prepare('INSERT INTO run_settings (app_id, doc) VALUES (?, ?) ON CONFLICT(app_id) DO UPDATE SET doc = excluded.doc').run(scope, JSON.stringify(doc));
}

