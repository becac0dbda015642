import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import { getSettings, lastDeployFailure, setting } from '../state/release-queries.ts';
import type { Context } from '../app/context.ts';
import { setProperty } from './property-set.ts';
import { parseFormat } from './common.ts';
import { forEachApp } from './each-app.ts';
import { printAppReports } from './report.ts';
import { validateAppName } from '../lib/validate.ts';

/** `logs:set`, `logs:report`, `logs:failed`; `logs` itself is with `run` (cli/run.ts). */
export function registerLogs(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const keys = ['max-size'];

  cli
    .command('logs:set [...words]', 'Set a logs property for <app> (or --global): max-size (unlimited, or a number with k, m or g); no value resets it; new containers use it')
    .usage('logs:set <app>|--global <property> [value]')
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => setProperty(ctx, 'logs', words, opts.global));

  cli
    .command('logs:report [app]', 'Show logs settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'logs information', (app) => {
        // Dokku's vector sink fields are left out: no log shipping here.
        const fields: ReportFields = [
          ['Logs computed max size', setting(db, app.id, 'logs', 'max-size')],
          ['Logs global max size', setting(db, '', 'logs', 'max-size')],
          ['Logs max size', getSettings(db, app.id, 'logs')['max-size'] ?? ''],
        ];
        return { fields };
      });
    });

  cli
    .command('logs:failed [app]', "Show the output of the app's last failed deploy (--all: every app)")
    .usage('logs:failed <app>|--all')
    .option('--all', 'Every app')
    .action(async (name: string | undefined, opts: { all?: boolean }) => {
      const { db } = await ctx.store();
      const show = (app: AppRow) => {
        const failure = lastDeployFailure(db, app.id);
        if (!failure) throw new UserError(`No failed deploy for ${app.name}`);
        io.out(step(`${app.name} v${failure.version} failed at ${failure.at}: ${failure.reason}`));
        for (const line of failure.output ?? []) io.out(`${failure.container ?? app.name}: ${line}`);
      };
      if (opts.all) {
        if (name !== undefined) throw new UsageError('Give an app or --all, not both');
        const apps = listApps(db).filter((a) => lastDeployFailure(db, a.id) !== undefined);
        return forEachApp(io, apps, (a) => a.name, async (a) => show(a));
      }
      if (name === undefined) throw new UsageError('Missing app name (or pass --all)');
      show(requireApp(db, validateAppName(name)));
    });
}
