import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';
import { splitCommandWords } from '../lib/words.ts';
import type { Terminal } from '../runtime/scheduler.ts';
import { cronTaskStates, isSuspended } from '../state/cron-queries.ts';
import { appStream, type DomainEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { getRelease, getRuntime } from '../state/release-queries.ts';
import type { EventStore } from '../state/store.ts';
import { syncCrontab } from './crontab-sync.ts';
import type { Context } from './context.ts';
import { containerOptions, releaseSpec } from './deploy.ts';
import { oneOffCommand } from './one-off.ts';
import type { Pipeline } from './pipeline.ts';

/**
 * Cron tasks (app.json `cron`): the host's cron daemon runs `dokku cron:run APP ID` on each task's
 * schedule, from one block of the dokku user's crontab that is written from state after every change
 * (a deploy with tasks, suspend, resume, cron:set, an app renamed or destroyed). Each run is a one-off
 * container of the current release, and its start and end are events, so a failing nightly job shows.
 */

function findTask(store: EventStore, app: AppRow, id: string) {
  const task = cronTaskStates(store.db, app.id).find((t) => t.id === id);
  if (!task) throw new UserError(`No cron task ${printable(id)} for ${app.name} (see cron:list ${app.name})`);
  return task;
}

/** `cron:suspend` / `cron:resume`: one task, or with no id every task of the app. */
export async function setSuspended(ctx: Context, appName: string, id: string | undefined, suspended: boolean): Promise<boolean> {
  const store = await ctx.store();
  const app = requireApp(store.db, appName);
  if (id !== undefined) findTask(store, app, id);
  const events = execute(
    store,
    appStream(app.id),
    () => isSuspended(store.db, app.id, id),
    (now): DomainEvent[] => (now === suspended ? [] : [{ type: suspended ? 'CronSuspended' : 'CronResumed', data: id === undefined ? {} : { id } }]),
    ctx.actor,
  );
  await syncCrontab(store, ctx.settings);
  return events.length > 0;
}

/**
 * `cron:run`: the task's command in a one-off container of the current release (a Procfile entry
 * when its first word names one, else the app owner's shell text, as a Procfile line is), with its
 * start and exit recorded. Detached, only the start is: nobody waits for the end.
 */
export async function runCronTask(p: Pipeline, appName: string, id: string, terminal: Terminal, detach: boolean): Promise<number> {
  const app = requireApp(p.store.db, appName);
  const task = findTask(p.store, app, id);
  const current = getRuntime(p.store.db, app.id).current!;
  const release = releaseSpec(app, getRelease(p.store.db, app.id, current)!, containerOptions(p.store.db, app.id));
  let words: string[];
  try {
    words = splitCommandWords(task.command);
  } catch {
    words = [];
  }
  const plan = words.length && Object.hasOwn(release.processTypes, words[0]!) ? oneOffCommand(release.processTypes, words) : { command: ['/bin/sh', '-c', task.command] };
  const record = (e: DomainEvent) => execute(p.store, appStream(app.id), () => undefined, () => [e], p.actor);
  const scheduler = await p.scheduler();
  if (detach) {
    const container = await scheduler.runDetached(app.name, release, plan.command);
    record({ type: 'CronRunStarted', data: { id, detached: true, container } });
    return 0;
  }
  record({ type: 'CronRunStarted', data: { id } });
  const started = performance.now();
  let code = 1;
  try {
    code = await scheduler.run(app.name, release, plan.command, terminal);
  } finally {
    record({ type: 'CronRunFinished', data: { id, exitCode: code, seconds: Math.round((performance.now() - started) / 10) / 100 } });
  }
  return code;
}
