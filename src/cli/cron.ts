import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { runCronTask, setSuspended } from '../app/cron.ts';
import { syncCrontab } from '../app/crontab-sync.ts';
import { makePipeline } from '../app/wiring.ts';
import { UserError } from '../lib/errors.ts';
import { isCronId } from '../lib/cron.ts';
import { header, step, type ReportFields } from '../lib/output.ts';
import { escapeControls, printable, validateAppName } from '../lib/validate.ts';
import { cronTaskStates, type CronTaskState } from '../state/cron-queries.ts';
import { requireApp } from '../state/queries.ts';
import { getSettings, setting } from '../state/release-queries.ts';
import { parseFormat, toJson } from './common.ts';
import { setProperty, setUsage } from './property-set.ts';
import { printAppReports } from './report.ts';

const taskId = (word: string): string => {
  if (!isCronId(word)) throw new UserError(`Invalid cron id '${printable(word)}': 12 hex characters, as cron:list shows`);
  return word;
};

function lastRun(t: CronTaskState): string {
  const r = t.lastRun;
  if (!r) return 'never';
  if (r.exitCode === undefined) return `${r.startedAt} (running${r.container ? ` in ${r.container}` : ''})`;
  return `${r.startedAt} exit ${r.exitCode} (${r.seconds ?? 0}s)`;
}

/** `cron:list|run|suspend|resume|set|report`: app.json's cron tasks, run by the host's cron daemon. */
export function registerCron(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('cron:list <app>', "List the app's cron tasks (from app.json) with their last run")
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const tasks = cronTaskStates(db, app.id);
      if (format === 'json') {
        io.out(
          toJson(
            tasks.map((t) => ({
              id: t.id,
              app: app.name,
              command: t.command,
              schedule: t.schedule,
              suspended: t.suspended,
              maintenance: t.maintenance ?? false,
              last_run: t.lastRun
                ? { started_at: t.lastRun.startedAt, finished_at: t.lastRun.finishedAt ?? null, exit_code: t.lastRun.exitCode ?? null, seconds: t.lastRun.seconds ?? null }
                : null,
            })),
          ),
        );
        return;
      }
      header(io, `${app.name} cron tasks`);
      const rows = [['ID', 'Schedule', 'Suspended', 'Last run', 'Command'], ...tasks.map((t) => [t.id, t.schedule, t.suspended ? 'true' : 'false', lastRun(t), escapeControls(t.command)])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
    });

  cli
    .command('cron:run <app> <id>', 'Run a cron task now, in a one-off container of the current release (what the cron daemon runs)')
    .option('--detach', 'Start it in the background and print the container name')
    .action(async (name: string, id: string, opts: { detach?: boolean }) => {
      const p = await makePipeline(ctx);
      const code = await runCronTask(p, validateAppName(name), taskId(id), { stdout: process.stdout, stderr: process.stderr, tty: false }, Boolean(opts.detach));
      return code;
    });

  for (const [verb, suspended] of [['suspend', true], ['resume', false]] as const) {
    cli
      .command(`cron:${verb} <app> [id]`, `${suspended ? 'Suspend' : 'Resume'} a cron task (every task of the app without an id)`)
      .action(async (name: string, id: string | undefined) => {
        const app = validateAppName(name);
        const changed = await setSuspended(ctx, app, id === undefined ? undefined : taskId(id), suspended);
        const what = id === undefined ? `Every cron task of ${app}` : `Cron task ${id} of ${app}`;
        io.out(step(changed ? `${what} ${suspended ? 'suspended' : 'resumed'}` : `${what} was already ${suspended ? 'suspended' : 'running on schedule'}`));
      });
  }

  cli
    .command('cron:set [...words]', 'Set a cron property for <app> (or --global): mailto (an address; empty mails no one), maintenance (true suspends every task)')
    .usage(setUsage('cron'))
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => {
      await setProperty(ctx, 'cron', words, opts.global);
      await syncCrontab(await ctx.store(), ctx.settings);
    });

  cli
    .command('cron:report [app]', 'Show cron settings and tasks (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'cron information', (app) => {
        const own = getSettings(db, app.id, 'cron');
        const tasks = cronTaskStates(db, app.id);
        const fields: ReportFields = [
          ['Cron computed mailto', setting(db, app.id, 'cron', 'mailto')],
          ['Cron global mailto', setting(db, '', 'cron', 'mailto')],
          ['Cron mailto', own.mailto ?? ''],
          ['Cron computed maintenance', setting(db, app.id, 'cron', 'maintenance')],
          ['Cron global maintenance', setting(db, '', 'cron', 'maintenance')],
          ['Cron maintenance', own.maintenance ?? ''],
          ['Cron task count', String(tasks.length)],
          ['Cron suspended count', String(tasks.filter((t) => t.suspended).length)],
        ];
        return { fields };
      });
    });
}
