import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import {
  planPluginCommand,
  runPluginCommand,
  getPluginProperties,
  installPlugin,
  listPlugins,
  pluginInstalled,
  setPluginEnabled,
  setPluginProperty,
  uninstallPlugin,
  unsetPluginProperty,
  updatePlugin,
} from '../app/plugins.ts';
import { fireByName } from '../app/triggers.ts';
import { UsageError } from '../lib/errors.ts';
import { header } from '../lib/output.ts';
import { TRIGGER_NAME } from '../lib/plugin-triggers.ts';
import { printable, validateAppName } from '../lib/validate.ts';
import { parseFormat, requireArg } from './common.ts';
import { restIsRaw } from './raw-rest.ts';
import type { Authorize } from './authorize.ts';

/**
 * `plugin:*`, Dokku's plugin commands (app/plugins.ts does the work), and the property store
 * plugins keep their settings in. `builtIn` is the set of dokku's own namespaces, which no plugin
 * may take.
 */
export function registerPlugins(cli: CAC, ctx: Context, builtIn: () => ReadonlySet<string>): void {
  const { io } = ctx;

  cli
    .command('plugin:install [source]', 'Install a plugin from a git URL, a local path (a git repository or a directory) or a .tar.gz URL, enable it and run its install triggers; with no source, run every enabled plugin\'s dependencies and install triggers again')
    .option('--name <name>', 'Install under this name (default: the source\'s last path part, without .git, .tar.gz or a dokku- prefix)')
    .option('--committish <ref>', 'Check out this branch, tag or commit (git sources)')
    .action(async (source: string | undefined, opts: { name?: string; committish?: string }) => {
      if (source === undefined || source === '') {
        const { pluginTriggers } = await import('../app/triggers.ts');
        const t = pluginTriggers(ctx.settings, io.out);
        await t.fire('dependencies', []);
        await t.fire('install', []);
        return;
      }
      await installPlugin(ctx, source, {
        ...(opts.name !== undefined ? { name: String(opts.name) } : {}),
        ...(opts.committish !== undefined ? { committish: String(opts.committish) } : {}),
        builtIn: builtIn(),
      });
    });

  cli
    .command('plugin:list', 'List plugins: name, version, enabled or disabled, description')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const plugins = await listPlugins(ctx);
      if (format === 'json') return io.out(JSON.stringify(plugins));
      header(io, 'Plugins');
      if (plugins.length === 0) return io.out('  (none: plugin:install <source> adds one; dokku\'s own commands are built in)');
      const width = Math.max(...plugins.map((p) => p.name.length));
      const vwidth = Math.max(...plugins.map((p) => p.version.length));
      for (const p of plugins) {
        const state = p.enabled ? 'enabled ' : 'disabled';
        io.out(`  ${p.name.padEnd(width)}  ${p.version.padEnd(vwidth)}  ${state}  ${printable(p.description)}${p.problem ? ` (${p.problem})` : ''}`);
      }
    });

  cli.command('plugin:installed <name>', 'Exit 0 if the plugin is installed (or built into dokku), 1 if not').action(async (name: string) => {
    return builtIn().has(name) || (await pluginInstalled(ctx, name)) ? 0 : 1;
  });

  cli.command('plugin:enable <name>', 'Enable an installed plugin: its triggers and commands run again').action((name: string) => setPluginEnabled(ctx, name, true));
  cli.command('plugin:disable <name>', 'Disable a plugin: its triggers and commands stop running; its files and properties stay').action((name: string) => setPluginEnabled(ctx, name, false));
  cli.command('plugin:uninstall <name>', 'Run the plugin\'s uninstall, then remove it and its properties').action((name: string) => uninstallPlugin(ctx, name));
  cli
    .command('plugin:update <name> [committish]', 'Fetch the plugin again from where it was installed from (at COMMITTISH, else the source\'s default branch) and run the install triggers')
    .action(async (name: string, committish: string | undefined) => {
      await updatePlugin(ctx, name, committish);
    });

  restIsRaw(
    cli.command('plugin:trigger <trigger> [...args]', 'Fire a trigger on every enabled plugin that has it, in order; exits with the first failure\'s code').action(async (trigger: string, args: string[], opts: { '--'?: string[] }) => {
      if (!TRIGGER_NAME.test(trigger)) throw new UsageError(`Invalid trigger name '${printable(trigger)}'`);
      return fireByName(ctx.settings, trigger, [...args, ...(opts['--'] ?? [])].map(String), io.out, io.err);
    }),
    1,
  );

  // Properties: PLUGIN APP|--global KEY [VALUE].
  const scope = (words: string[], global: boolean | undefined, usage: string, count: number): { app?: string; rest: string[] } => {
    const [first, ...rest]: Array<string | undefined> = global ? [undefined, ...words] : words;
    if (!global && (first === undefined || first === '')) throw new UsageError('Missing app name (or pass --global)', usage);
    if (rest.length > count) throw new UsageError(`Unexpected argument: ${printable(rest[count]!)}`, usage);
    return { ...(first !== undefined ? { app: validateAppName(first) } : {}), rest: rest as string[] };
  };
  const setUsage = 'plugin:property-set <plugin> <app>|--global <key> <value>';
  cli
    .command('plugin:property-set <plugin> [...args]', 'Set a plugin\'s property for an app (or --global): plugin:property-set PLUGIN APP|--global KEY VALUE')
    .usage(setUsage)
    .option('--global', 'The plugin\'s global property')
    .action(async (plugin: string, args: string[], opts: { global?: boolean }) => {
      const { app, rest } = scope(args.map(String), opts.global, setUsage, 2);
      const [key, value] = rest as [string?, string?];
      if (key === undefined || value === undefined) throw new UsageError('Missing key or value', setUsage);
      await setPluginProperty(ctx, plugin, app, key, value);
    });
  const unsetUsage = 'plugin:property-unset <plugin> <app>|--global <key>';
  cli
    .command('plugin:property-unset <plugin> [...args]', 'Remove a plugin\'s property for an app (or --global)')
    .usage(unsetUsage)
    .option('--global', 'The plugin\'s global property')
    .action(async (plugin: string, args: string[], opts: { global?: boolean }) => {
      const { app, rest } = scope(args.map(String), opts.global, unsetUsage, 1);
      await unsetPluginProperty(ctx, plugin, app, requireArg(rest[0], 'key'));
    });
  const getUsage = 'plugin:property-get <plugin> <app>|--global <key>';
  cli
    .command('plugin:property-get <plugin> [...args]', 'Print a plugin\'s property for an app (or --global); exit 1 when it is not set')
    .usage(getUsage)
    .option('--global', 'The plugin\'s global property')
    .action(async (plugin: string, args: string[], opts: { global?: boolean }) => {
      const { app, rest } = scope(args.map(String), opts.global, getUsage, 1);
      const value = (await getPluginProperties(ctx, plugin, app))[requireArg(rest[0], 'key')];
      if (value === undefined) return 1;
      io.out(value);
      return 0;
    });
  const listUsage = 'plugin:property-list <plugin> <app>|--global';
  cli
    .command('plugin:property-list <plugin> [...args]', 'List a plugin\'s properties for an app (or --global)')
    .usage(listUsage)
    .option('--global', 'The plugin\'s global properties')
    .option('--format <format>', 'text or json')
    .action(async (plugin: string, args: string[], opts: { global?: boolean; format?: string }) => {
      const format = parseFormat(opts.format);
      const { app } = scope(args.map(String), opts.global, listUsage, 0);
      const props = await getPluginProperties(ctx, plugin, app);
      if (format === 'json') return io.out(JSON.stringify(props));
      header(io, `${plugin} properties${app ? ` of ${app}` : ' (global)'}`);
      for (const [k, v] of Object.entries(props)) io.out(`${k}=${printable(v)}`);
    });

}

/**
 * A command dokku does not know, offered to the enabled plugins: undefined when none implements
 * it. A key's call is checked first, on what the plugin's plugin.toml says of the command.
 */
export async function runPluginCommandLine(ctx: Context, words: readonly string[], authorize?: Authorize): Promise<number | undefined> {
  const command = words[0];
  if (command === undefined || !/^[a-z0-9][a-z0-9:_-]{0,99}$/.test(command)) return undefined;
  const plan = planPluginCommand(ctx, command);
  if (!plan) return undefined;
  if (authorize) await authorize.plugin(command, words.slice(1), plan.appArg);
  return runPluginCommand(ctx, plan, words);
}
