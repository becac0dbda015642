import type { CAC } from 'cac';
import { getSettings } from '../state/release-queries.ts';
import type { Context } from '../app/context.ts';
import { setProperty, setUsage } from './property-set.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';

/** What a deploy reads when neither the app nor the global scope names a path. */
const DEFAULT_PATH = 'app.json';

export function registerAppJson(cli: CAC, ctx: Context): void {
  cli
    .command('app-json:set [...args]', `Set an app-json property: <app>|--global appjson-path [PATH] (a path inside the repository; no value resets it)`)
    .usage(setUsage('app-json'))
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => setProperty(ctx, 'app-json', args, opts.global));

  cli
    .command('app-json:report [app]', 'Show which app.json a deploy reads (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const global = getSettings(db, '', 'app-json')['appjson-path'] ?? '';
      await printAppReports(ctx, db, { name, format }, 'app-json information', (a) => {
        const selected = getSettings(db, a.id, 'app-json')['appjson-path'] ?? '';
        return {
          fields: [
            ['App json computed selected', selected || global || DEFAULT_PATH],
            ['App json global selected', global],
            ['App json selected', selected],
          ],
        };
      });
    });
}
