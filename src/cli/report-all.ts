import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { errorLine } from '../lib/output.ts';
import { validateAppName } from '../lib/validate.ts';
import { listApps, requireApp } from '../state/queries.ts';
import { pluginTriggers } from '../app/triggers.ts';

/**
 * Dokku's `report`: every namespace's `:report` for an app, one after another, by running each
 * registered `<namespace>:report` command itself (no report is written twice). A report that fails
 * (Docker down for ps:report, say) is one error line and exit 1, and the others still print.
 */
export function registerReportAll(cli: CAC, ctx: Context): void {
  cli.command('report [app]', "Show every namespace's report for an app (every app when none is named)").action(async (name: string | undefined) => {
    const { db } = await ctx.store();
    const apps = name === undefined ? listApps(db).filter((a) => !ctx.visibleApps || ctx.visibleApps.has(a.id)) : [requireApp(db, validateAppName(name))];
    const reports = cli.commands.filter((c) => c.name.endsWith(':report')).sort((a, b) => (a.name < b.name ? -1 : 1));
    let failed = 0;
    for (const app of apps) {
      for (const command of reports) {
        try {
          await command.commandAction!(app.name, {});
        } catch (err) {
          // Docker being down fails ps:report alone; the reports that do not need it still print.
          ctx.io.err(errorLine(`${command.name}: ${(err as Error).message.split('\n')[0]}`));
          failed++;
        }
      }
      // Dokku's report trigger: each plugin's own section, as it prints it.
      const plugins = await pluginTriggers(ctx.settings, ctx.io.err).fire('report', [app.name]);
      for (const line of plugins.split('\n')) if (line !== '') ctx.io.out(line);
    }
    return failed ? 1 : 0;
  });
}
