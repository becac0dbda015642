import { appToDestroy, createApp, destroyApp, renameApp, runAppCommand, type ReactionFailure } from '../app/lifecycle.ts';
import { lifecycleOf } from '../app/reactions.ts';
import { setSetting } from '../app/settings.ts';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { appDir } from '../lib/settings.ts';
import { listApps, requireApp } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { appOrGlobal, parseFormat, requireArg, toJson } from './common.ts';
import { printAppReports } from './report.ts';
import type { Context } from '../app/context.ts';
import { errorLine, header, step } from '../lib/output.ts';

export function registerApps(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('apps:create <app>', 'Create an app')
    .example('  $ dokku apps:create myapp')
    .action(async (name: string) => {
      validateAppName(name);
      await createApp(ctx, name);
      io.out(step(`Creating ${name}...`));
    });

  cli
    .command('apps:list', 'List apps')
    .option('--format <format>', 'stdout (text), json (an array of names, as Dokku) or json-detail (name, created_at, locked)')
    .action(async (opts: { format?: string }) => {
      // `stdout` is Dokku's name for text; json-detail is ours (Dokku's json has names only).
      const format = opts.format === 'stdout' ? 'text' : opts.format === 'json-detail' ? 'json-detail' : parseFormat(opts.format);
      const apps = listApps((await ctx.store()).db).filter((a) => !ctx.visibleApps || ctx.visibleApps.has(a.id));
      if (format === 'json') {
        io.out(JSON.stringify(apps.map((a) => a.name)));
        return;
      }
      if (format === 'json-detail') {
        io.out(toJson(apps.map((a) => ({ name: a.name, created_at: a.createdAt, locked: a.locked }))));
        return;
      }
      header(io, 'My Apps');
      for (const a of apps) io.out(a.name);
    });

  cli.command('apps:exists <app>', 'Exit 0 if the app exists, 1 if not').action(async (name: string) => {
    validateAppName(name);
    requireApp((await ctx.store()).db, name);
  });

  cli
    .command('apps:report [app]', 'Show app information (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      await printAppReports(ctx, (await ctx.store()).db, { name, format }, 'app information', (a) => ({
        fields: [
          ['App created at', a.createdAt],
          ['App dir', appDir(ctx.settings, a.name)],
          ['App locked', a.locked],
        ],
      }));
    });

  cli
    .command('apps:clone <old-app> <new-app>', "Clone an app: its config, settings and git repository, then build and deploy it")
    .option('--skip-deploy', 'Copy only; do not build or deploy the new app')
    .option('--ignore-existing', 'Exit 0 without doing anything when the new app exists')
    .action(async (from: string, to: string, opts: { skipDeploy?: boolean; ignoreExisting?: boolean }) => {
      validateAppName(from);
      validateAppName(to);
      const { cloneApp } = await import('../app/clone.ts');
      const r = await cloneApp(ctx, from, to, { skipDeploy: Boolean(opts.skipDeploy), ignoreExisting: Boolean(opts.ignoreExisting) });
      io.out(step(r.kind === 'exists' ? `${to} exists; nothing cloned (--ignore-existing)` : `Cloning ${from} to ${to}... done`));
    });

  cli.command('apps:rename <old-app> <new-app>', 'Rename an app, keeping its history').action(async (from: string, to: string) => {
    validateAppName(from);
    validateAppName(to);
    const failed = await renameApp(await lifecycleOf(ctx), from, to);
    io.out(step(`Renaming ${from} to ${to}... done`));
    return reportFailures(ctx, failed, `apps:rename ${from} ${to}`);
  });

  cli
    .command('apps:destroy <app>', 'Destroy an app (asks for its name, or pass --force)')
    .option('--force', 'Do not ask for confirmation')
    .action(async (name: string, opts: { force?: boolean }) => {
      validateAppName(name);
      const lifecycle = await lifecycleOf(ctx);
      appToDestroy(lifecycle, name);
      if (!opts.force) await confirmByName(ctx, name);
      const failed = await destroyApp(lifecycle, name);
      io.out(step(`Destroying ${name} (including all add-ons)`));
      return reportFailures(ctx, failed, `apps:destroy ${name} --force`);
    });

  cli.command('apps:lock <app>', 'Lock an app against deploys').action(async (name: string) => {
    validateAppName(name);
    await runAppCommand(ctx, name, { type: 'apps:lock' });
    io.out(step('Deploy lock created'));
  });

  cli.command('apps:unlock <app>', 'Remove an app\'s deploy lock').action(async (name: string) => {
    validateAppName(name);
    await runAppCommand(ctx, name, { type: 'apps:unlock' });
    io.out(step('Deploy lock removed'));
  });

  cli
    .command('apps:set [...args]', 'Set an apps property: --global disable-autocreation true|false (a push to a new app creates it unless true)')
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => {
      const app = appOrGlobal(opts.global ? undefined : args[0], opts.global);
      const [property, value] = opts.global ? args : args.slice(1);
      if (!property) throw new UsageError('Missing property name', 'apps:set --global disable-autocreation true|false');
      await setSetting(ctx, app, 'apps', property, value ? value : null);
      io.out(step(`Set apps ${property}${value ? ` to ${value}` : ' to its default'}`));
    });

  cli.command('apps:locked <app>', 'Exit 0 if the app is locked, 1 if not').action(async (name: string) => {
    validateAppName(name);
    const app = requireApp((await ctx.store()).db, name);
    io.out(app.locked ? 'Deploy lock exists' : 'Deploy lock does not exist');
    return app.locked ? 0 : 1;
  });
}

/** Dokku's guard: without --force, the user types the app's name at a terminal, or nothing happens. */
async function confirmByName(ctx: Context, name: string): Promise<void> {
  const { io } = ctx;
  if (!io.stdinIsTTY) {
    throw new UserError(`Refusing to destroy ${requireArg(name, 'app')} without confirmation: pass --force`);
  }
  io.err(errorLine('WARNING: Potentially Destructive Action'));
  io.err(errorLine(`This command will destroy app ${name}.`));
  io.err(errorLine(`To proceed, type "${name}"`));
  // Loaded here, not at start-up: node:readline costs the compiled binary ~6 ms to load.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: io.stdin, terminal: false });
  const answer = await new Promise<string>((resolve) => {
    process.stderr.write('> ');
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (answer.trim() !== name) throw new UserError(`Confirmation did not match ${name}. Aborted.`);
}

/** One line per cleanup that failed after the event was recorded; running the command again finishes it. */
function reportFailures(ctx: Context, failed: ReactionFailure[], again: string): number {
  for (const f of failed) ctx.io.err(errorLine(`Cleanup of ${f.reaction} failed: ${f.message} (run \`dokku ${again}\` again to finish)`));
  return failed.length ? 1 : 0;
}
