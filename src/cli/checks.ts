import { setSetting } from '../app/settings.ts';
import { runChecksNow } from '../app/checks-run.ts';
import { makePipeline } from '../app/wiring.ts';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { getSettings } from '../state/release-queries.ts';
import { checkSettingsFrom } from '../lib/check-settings.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import type { Context } from '../app/context.ts';
import { step, type ReportFields } from '../lib/output.ts';

export function registerChecks(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const toggle = (command: string, description: string, key: 'disabled' | 'skipped', value: string, message: string) =>
    cli.command(`${command} <app>`, description).action(async (name: string) => {
      await setSetting(ctx, validateAppName(name), 'checks', key, value);
      io.out(step(message));
    });

  toggle('checks:disable', 'Disable zero-downtime checks: old containers stop before new ones start', 'disabled', 'true', 'Zero downtime checks disabled');
  cli.command('checks:enable <app>', 'Enable checks again (undoes disable and skip)').action(async (name: string) => {
    const app = validateAppName(name);
    await setSetting(ctx, app, 'checks', 'disabled', null);
    await setSetting(ctx, app, 'checks', 'skipped', null);
    io.out(step('Zero downtime checks enabled'));
  });
  toggle('checks:skip', 'Skip checks but keep zero-downtime switching', 'skipped', 'true', 'Zero downtime checks skipped');

  cli
    .command('checks:set <app> <property> [value]', 'Set wait, timeout, attempts or wait-to-retire (seconds); no value resets it')
    .action(async (name: string, property: string, value: string | undefined) => {
      if (property === 'disabled' || property === 'skipped') throw new UsageError(`Use checks:disable, checks:skip or checks:enable for ${property}`);
      const changed = await setSetting(ctx, validateAppName(name), 'checks', property, value === undefined || value === '' ? null : value);
      io.out(step(changed ? `Set checks ${property}${value ? ` to ${value}` : ' to its default'}` : `checks ${property} unchanged`));
    });

  cli
    .command('checks:run <app> [process]', 'Run the app\'s checks against its running containers now (all, a process type, or type.N); runs even when checks are disabled')
    .action(async (name: string, process: string | undefined) => {
      const app = validateAppName(name);
      const failures = await runChecksNow(await makePipeline(ctx), app, process, io.out);
      if (failures.length) throw new UserError(`Checks failed for ${app}: ${failures.join('; ')}`);
      io.out(step(`Checks passed for ${app}`));
    });

  cli
    .command('checks:report [app]', 'Show check settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'checks information', (app) => {
        const c = checkSettingsFrom(getSettings(db, app.id, 'checks'));
        // Dokku lists process types; here checks are on or off for the whole app.
        const fields: ReportFields = [
          ['Checks disabled list', c.enabled ? 'none' : '_all_'],
          ['Checks skipped list', c.skip ? '_all_' : 'none'],
          ['Checks wait to retire', c.waitToRetire],
        ];
        const extra: ReportFields = [
          ['Checks enabled', c.enabled],
          ['Checks skipped', c.skip],
          ['Checks wait', c.wait],
          ['Checks timeout', c.timeout],
          ['Checks attempts', c.attempts],
        ];
        return { fields, extra };
      });
    });
}
