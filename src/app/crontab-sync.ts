import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrontabBlock, serviceBackupLine as renderServiceBackupLine, type CrontabInput, type ServiceBackupEntry } from '../lib/crontab.ts';
import { listServices, type ServiceRow } from '../state/service-queries.ts';
import { selfCommand } from '../lib/self.ts';
import type { Settings } from '../lib/settings.ts';
import { installCrontabBlock } from '../runtime/crontab.ts';
import { cronTaskStates } from '../state/cron-queries.ts';
import { listApps } from '../state/queries.ts';
import { setting } from '../state/release-queries.ts';
import type { EventStore } from '../state/store.ts';

/** The crontab written from state: every app's cron tasks that are not suspended, in one block per dokku root. */

export const cronLogPath = (settings: Settings, appId: string): string => join(settings.root, '.cron', `${appId}.log`);

/** What dokku needs in cron's bare environment to find the same platform. */
function platformEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (k.startsWith('DOKKU_') || k === 'DOCKER_HOST')) out[k] = v;
  out.DOKKU_ROOT = env.DOKKU_ROOT ?? '';
  if (out.DOKKU_ROOT === '') delete out.DOKKU_ROOT;
  return out;
}

/** The crontab block this root's state asks for. */
export function crontabInput(store: EventStore, settings: Settings, env: NodeJS.ProcessEnv = process.env): CrontabInput {
  const { db } = store;
  return {
    root: settings.root,
    self: selfCommand(),
    env: platformEnv(env),
    mailto: setting(db, '', 'cron', 'mailto'),
    apps: listApps(db).map((app) => ({
      app: app.name,
      mailto: setting(db, app.id, 'cron', 'mailto'),
      logFile: cronLogPath(settings, app.id),
      entries: cronTaskStates(db, app.id)
        .filter((t) => !t.suspended)
        .map((t) => ({ app: app.name, id: t.id, schedule: t.schedule })),
    })),
    services: listServices(db)
      .filter((s) => s.backupSchedule)
      .map((s) => serviceBackupEntry(settings, s)),
  };
}

const serviceBackupEntry = (settings: Settings, s: ServiceRow): ServiceBackupEntry => ({
  kind: s.kind,
  name: s.name,
  schedule: s.backupSchedule!,
  logFile: join(settings.root, '.cron', `service-${s.id}.log`),
});

/** `<kind>:backup-schedule-cat`: the line the crontab holds for the service's backups. */
export function serviceBackupLine(settings: Settings, s: ServiceRow): string {
  return renderServiceBackupLine(selfCommand(), serviceBackupEntry(settings, s));
}

/** Writes the crontab from state; a no-op when it already says that. */
export async function syncCrontab(store: EventStore, settings: Settings): Promise<void> {
  mkdirSync(join(settings.root, '.cron'), { recursive: true });
  await installCrontabBlock(settings.root, renderCrontabBlock(crontabInput(store, settings)));
}

