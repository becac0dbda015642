import type { CAC } from 'cac';
import { setSetting } from '../app/settings.ts';
import { UsageError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { printable } from '../lib/validate.ts';
import { getSettings } from '../state/release-queries.ts';
import type { Context } from '../app/context.ts';
import { appOrGlobal, parseFormat } from './common.ts';
import { printAppReports } from './report.ts';

const SET_USAGE = 'app-json:set <app>|--global appjson-path [PATH]';
/** What a deploy reads when neither the app nor the global scope names a path. */
const DEFAULT_PATH = 'app.json';

export function registerAppJson(cli: CAC, ctx: Context): void {
  cli
    .command('app-json:set [...args]', `Set an app-json property: <app>|--global appjson-path [PATH] (a path inside the repository; no value resets it)`)
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => {
      const app = appOrGlobal(opts.global ? undefined : args[0], opts.global);
      const [property, value, ...extra] = opts.global ? args : args.slice(1);
      if (!property) throw new UsageError('Missing property name', SET_USAGE);
      if (extra.length) throw new UsageError(`Unexpected argument: ${printable(extra[0]!)}`, SET_USAGE);
      const changed = await setSetting(ctx, app, 'app-json', property, value ? value : null);
      ctx.io.out(step(`${changed ? 'Set' : 'Unchanged:'} app-json ${property}${value ? ` to ${value}` : ' to its default'}${app ? ` for ${app}` : ' globally'}`));
    });

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
