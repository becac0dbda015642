import type { CronTask } from '../lib/cron.ts';
import type { Database } from './db.ts';
import { getRelease, getRuntime, setting } from './release-queries.ts';

/** What `cron:list` and the crontab read: the current release's tasks, their suspension and last run. */

export interface CronRun {
  container: string;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  seconds?: number;
}

export interface CronTaskState extends CronTask {
  suspended: boolean;
  lastRun?: CronRun;
}

/** The tasks of the app's current release (none before its first deploy). */
export function currentCronTasks(db: Database, appId: string): CronTask[] {
  const current = getRuntime(db, appId).current;
  if (current === undefined) return [];
  return getRelease(db, appId, current)?.appJson.cron ?? [];
}

export function cronTaskStates(db: Database, appId: string): CronTaskState[] {
  const suspended = new Set(db.prepare('SELECT task_id FROM cron_suspended WHERE app_id = ?').all<{ task_id: string }>(appId).map((r) => r.task_id));
  const maintenance = setting(db, appId, 'cron', 'maintenance') === 'true';
  const runs = new Map(
    db
      .prepare('SELECT * FROM cron_runs WHERE app_id = ?')
      .all<{ task_id: string; container: string; started_at: string; finished_at: string | null; exit_code: number | null; seconds: number | null }>(appId)
      .map((r) => [r.task_id, r]),
  );
  return currentCronTasks(db, appId).map((task) => {
    const r = runs.get(task.id);
    return {
      ...task,
      suspended: maintenance || task.maintenance === true || suspended.has('*') || suspended.has(task.id),
      ...(r
        ? {
            lastRun: {
              container: r.container,
              startedAt: r.started_at,
              ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
              ...(r.exit_code !== null ? { exitCode: r.exit_code } : {}),
              ...(r.seconds !== null ? { seconds: r.seconds } : {}),
            },
          }
        : {}),
    };
  });
}

/** Whether the task (or all of the app's) was suspended by `cron:suspend` (not maintenance). */
export function isSuspended(db: Database, appId: string, id: string | undefined): boolean {
  return db.prepare('SELECT 1 FROM cron_suspended WHERE app_id = ? AND task_id = ?').get(appId, id ?? '*') !== undefined;
}
