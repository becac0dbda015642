import type { CAC } from 'cac';
import { UsageError } from '../lib/errors.ts';
import { type ConfigVars } from '../state/deciders.ts';
import { getConfig, mergedConfig, requireApp } from '../state/queries.ts';
import { decodeBase64Value, parseAssignment, validateAppName, validateConfigKey } from '../lib/validate.ts';
import { EXPORT_FORMATS, quotedValue, renderConfigTable, renderExport, type ExportFormat } from './config-format.ts';
import type { Context } from '../app/context.ts';
import { detail, header, step } from '../lib/output.ts';
import { checkBuildpackWord } from './builds.ts';
import { changeConfig } from '../app/config.ts';
import { UserError } from '../lib/errors.ts';
import { readInput } from '../lib/stdin.ts';
import { writeTar } from '../lib/tar-write.ts';
import { IMPORT_FORMATS, parseConfigImport, type ImportFormat } from './config-import.ts';

/** An app's whole config piped in: far more than any app needs, small enough to hold in memory. */
const MAX_IMPORT_BYTES = 1024 * 1024;

interface ScopeOpts {
  global?: boolean;
  merged?: boolean;
  shell?: boolean;
  export?: boolean;
}

/** `<app> ARGS…` or `--global ARGS…`: splits the scope from the remaining words. */
function splitScope(args: string[], opts: ScopeOpts, usage: string): { app: string | undefined; rest: string[] } {
  if (opts.global) return { app: undefined, rest: args };
  const [app, ...rest] = args;
  if (app === undefined) throw new UsageError('Missing app name (or pass --global)', usage);
  return { app: validateAppName(app), rest };
}

async function readVars(ctx: Context, app: string | undefined, merged: boolean | undefined): Promise<ConfigVars> {
  const { db } = await ctx.store();
  if (app === undefined) return getConfig(db, '');
  const row = requireApp(db, app);
  return merged ? mergedConfig(db, row.id) : getConfig(db, row.id);
}

export function registerConfig(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const scopeOption = ['--global', 'Act on global config, which every app inherits'] as const;

  const show = async (args: string[], opts: ScopeOpts) => {
    const { app, rest } = splitScope(args, opts, 'config:show <app>|--global');
    if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`);
    const vars = await readVars(ctx, app, opts.merged);
    // Dokku's older spellings of config:export: --shell (one line) and --export (export lines).
    if (opts.shell || opts.export) {
      const text = renderExport(vars, opts.shell ? 'shell' : 'exports');
      if (text !== '') io.out(text);
      return;
    }
    header(io, `${app ?? 'global'} env vars`);
    // A table for people: config:get and config:export give the bytes.
    for (const line of renderConfigTable(vars)) io.out(line);
  };
  for (const name of ['config', 'config:show']) {
    cli
      .command(`${name} [...args]`, 'Show config vars: <app> or --global')
      .option(...scopeOption)
      .option('--merged', 'Include global vars the app inherits')
      .option('--shell', 'Print as one line of KEY=\'value\' words (config:export --format shell)')
      .option('--export', 'Print as export lines (config:export --format exports)')
      .action(show);
  }

  cli
    .command('config:get [...args]', 'Print one value: <app>|--global KEY (exit 1 when unset)')
    .option(...scopeOption)
    .option('--merged', 'Fall back to the global value')
    .option('--quoted', 'Print the value quoted for a POSIX shell')
    .action(async (args: string[], opts: ScopeOpts & { quoted?: boolean }) => {
      const { app, rest } = splitScope(args, opts, 'config:get <app>|--global KEY');
      if (rest.length !== 1) throw new UsageError('Expected exactly one KEY', 'config:get <app>|--global KEY');
      const key = validateConfigKey(rest[0]!);
      const vars = await readVars(ctx, app, opts.merged);
      if (!(key in vars)) return 1;
      io.out(opts.quoted ? quotedValue(vars[key]!) : vars[key]!);
    });

  cli
    .command('config:set [...args]', 'Set config vars: <app>|--global KEY=VALUE...')
    .option(...scopeOption)
    .option('--encoded', 'Values are base64-encoded')
    .option('--no-restart', 'Record the change for the next release without restarting')
    .action(async (args: string[], opts: ScopeOpts & { encoded?: boolean; restart?: boolean }) => {
      const { app, rest } = splitScope(args, opts, 'config:set <app>|--global KEY=VALUE...');
      if (rest.length === 0) throw new UsageError('No config vars given: use KEY=VALUE', 'config:set <app>|--global KEY=VALUE...');
      const vars: ConfigVars = {};
      for (const pair of rest) {
        const [k, v] = parseAssignment(pair);
        vars[k] = opts.encoded ? decodeBase64Value(k, v) : v;
      }
      // The build takes BUILDPACK_URL as its buildpack: checked as buildpacks:set checks one.
      if (vars.BUILDPACK_URL) await checkBuildpackWord(ctx, 'config:set', app, vars.BUILDPACK_URL);
      await changeConfig(ctx, app, { type: 'config:set', vars }, opts.restart !== false, (changed) => {
        io.out(step(changed ? 'Setting config vars' : 'No config vars changed'));
        if (changed) for (const k of Object.keys(vars)) io.out(detail(k));
      });
    });

  cli
    .command('config:unset [...args]', 'Unset config vars: <app>|--global KEY...')
    .option(...scopeOption)
    .option('--no-restart', 'Record the change for the next release without restarting')
    .action(async (args: string[], opts: ScopeOpts & { restart?: boolean }) => {
      const { app, rest } = splitScope(args, opts, 'config:unset <app>|--global KEY...');
      if (rest.length === 0) throw new UsageError('No config keys given', 'config:unset <app>|--global KEY...');
      const keys = rest.map(validateConfigKey);
      await changeConfig(ctx, app, { type: 'config:unset', keys }, opts.restart !== false, (changed) => {
        io.out(step(changed ? 'Unsetting config vars' : 'No config vars changed'));
        if (changed) for (const k of keys) io.out(detail(k));
      });
    });

  cli
    .command('config:clear [...args]', 'Unset every config var: <app>|--global')
    .option(...scopeOption)
    .option('--no-restart', 'Record the change for the next release without restarting')
    .action(async (args: string[], opts: ScopeOpts & { restart?: boolean }) => {
      const { app, rest } = splitScope(args, opts, 'config:clear <app>|--global');
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`, 'config:clear <app>|--global');
      await changeConfig(ctx, app, { type: 'config:clear' }, opts.restart !== false, (changed) =>
        io.out(step(changed ? 'Clearing config vars' : 'No config vars to clear')),
      );
    });

  cli
    .command('config:keys [...args]', 'List config keys: <app>|--global')
    .option(...scopeOption)
    .option('--merged', 'Include global keys the app inherits')
    .action(async (args: string[], opts: ScopeOpts) => {
      const { app, rest } = splitScope(args, opts, 'config:keys <app>|--global');
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`, 'config:keys <app>|--global');
      for (const k of Object.keys(await readVars(ctx, app, opts.merged))) io.out(k);
    });

  cli
    .command('config:export [...args]', 'Print config vars for another program: <app>|--global')
    .option(...scopeOption)
    .option('--merged', 'Include global vars the app inherits')
    .option('--format <format>', `One of ${EXPORT_FORMATS.join(', ')}`, { default: 'exports' })
    .action(async (args: string[], opts: ScopeOpts & { format: string }) => {
      const { app, rest } = splitScope(args, opts, 'config:export <app>|--global');
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`, 'config:export <app>|--global');
      const format = String(opts.format);
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`Unknown format '${format}': use one of ${EXPORT_FORMATS.join(', ')}`);
      }
      const text = renderExport(await readVars(ctx, app, opts.merged), format as ExportFormat);
      if (text !== '') io.out(text);
    });

  cli
    .command('config:import [...args]', 'Set config vars read from stdin: <app>|--global (envfile or json, as config:export writes them; not in Dokku)')
    .option(...scopeOption)
    .option('--format <format>', `One of ${IMPORT_FORMATS.join(', ')}`, { default: 'envfile' })
    .option('--replace', 'Unset the vars the input does not name')
    .option('--no-restart', 'Record the change for the next release without restarting')
    .action(async (args: string[], opts: ScopeOpts & { format: string; replace?: boolean; restart?: boolean }) => {
      const usage = 'config:import <app>|--global [--format envfile|json] [--replace]';
      const { app, rest } = splitScope(args, opts, usage);
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`, usage);
      const format = String(opts.format);
      if (!(IMPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`Unknown format '${format}': use one of ${IMPORT_FORMATS.join(', ')}`);
      if (app !== undefined) requireApp((await ctx.store()).db, app);
      if (io.stdinIsTTY) throw new UserError('Pipe the config vars into stdin');
      const input = await readInput(io.stdin, { maxBytes: MAX_IMPORT_BYTES, what: 'the config on stdin' });
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(input);
      } catch {
        throw new UserError('The config on stdin is not valid UTF-8');
      }
      const vars = parseConfigImport(text, format as ImportFormat);
      if (Object.keys(vars).length === 0 && !opts.replace) throw new UserError('No config vars on stdin');
      if (vars.BUILDPACK_URL) await checkBuildpackWord(ctx, 'config:import', app, vars.BUILDPACK_URL);
      await changeConfig(ctx, app, { type: 'config:import', vars, replace: Boolean(opts.replace) }, opts.restart !== false, (changed) => {
        io.out(step(changed ? 'Importing config vars' : 'No config vars changed'));
        if (changed) for (const k of Object.keys(vars)) io.out(detail(k));
      });
    });

  cli
    .command('config:bundle [...args]', 'Write a tar of one file per config var (named by its key) to stdout: <app>|--global')
    .option(...scopeOption)
    .option('--merged', 'Include global vars the app inherits')
    .action(async (args: string[], opts: ScopeOpts) => {
      const { app, rest } = splitScope(args, opts, 'config:bundle <app>|--global [--merged]');
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`, 'config:bundle <app>|--global [--merged]');
      const vars = await readVars(ctx, app, opts.merged);
      if (!io.bytes) throw new UserError('config:bundle writes an archive: run it where stdout takes bytes');
      const entries = Object.keys(vars).sort().map((k) => ({ path: k, type: 'file' as const, mode: 0o600, data: Buffer.from(vars[k]!, 'utf8') }));
      io.bytes(writeTar(entries));
    });
}
