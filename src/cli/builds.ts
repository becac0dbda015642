import { setSetting } from '../app/settings.ts';
import { existsSync, readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { buildLogPath } from '../lib/settings.ts';
import { listApps, requireApp } from '../state/queries.ts';
import { cancelBuild, computedRetention, pruneBuilds } from '../app/build-maintenance.ts';
import { forEachApp } from './each-app.ts';
import { getSettings, listBuilds, setting } from '../state/release-queries.ts';
import { checkBuildpack, tenantBuildpackRefusal } from '../lib/buildpack-ref.ts';
import { escapeControls, parsePositiveInt, printable, validateAppName } from '../lib/validate.ts';
import { appOrGlobal, parseFormat, toJson } from './common.ts';
import { printAppReports } from './report.ts';
import { setProperty, setUsage } from './property-set.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { detail, renderReport, reportJson, step, type ReportFields, header } from '../lib/output.ts';

/**
 * A buildpack as a user sets it (`buildpacks:add|set`, `config:set BUILDPACK_URL=…`): malformed is
 * an error for anyone; what only admins may name is refused to a tenant.
 */
export async function checkBuildpackWord(ctx: Context, command: string, app: string | undefined, url: string): Promise<string> {
  const checked = checkBuildpack(url);
  if (!checked.ok) throw new UserError(checked.problem);
  const refusal = tenantBuildpackRefusal(checked.ref);
  if (refusal) await forbidTenant(ctx, command, refusal, app);
  return url;
}

export function registerBuilds(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('builds:cancel <app>', 'Cancel the running build of an app').action(async (name: string) => {
    const { db } = await ctx.store();
    const app = requireApp(db, validateAppName(name));
    const build = await cancelBuild(ctx, app);
    io.out(step(`Cancelled build ${build} of ${app.name}`));
  });

  cli
    .command('builds:set [...args]', 'Set or clear a builds property: <app>|--global retention [count]')
    .usage(setUsage('builds'))
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => setProperty(ctx, 'builds', args, opts.global));

  cli
    .command('builds:report [app]', 'Show the latest build and the retention (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .option('--global', 'Only the global retention')
    .action(async (name: string | undefined, opts: { format?: string; global?: boolean }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const globalRetention = setting(db, '', 'builds', 'retention');
      const global: ReportFields | undefined = opts.global ? [['Builds global retention', globalRetention]] : undefined;
      await printAppReports(ctx, db, { name, format, ...(global ? { global } : {}) }, 'builds information', async (app) => {
        const last = listBuilds(db, app.id)[0];
        return {
          // Dokku's fields. A build here has a number, not a ULID, and no separate deploy kind.
          fields: [
            ['Build id', last?.number ?? null],
            ['Build kind', last ? 'build' : null],
            ['Build status', last?.status ?? null],
            ['Build pid', null],
            ['Build source', last?.source ?? null],
            ['Build started at', last?.started_at ?? null],
            ['Build finished at', last?.finished_at ?? null],
            ['Build exit code', last === undefined || last.status === 'running' ? null : last.status === 'succeeded' ? 0 : 1],
            ['Builds retention', setting(db, app.id, 'builds', 'retention')],
            ['Builds global retention', globalRetention],
            ['Builds computed retention', await computedRetention(ctx, app)],
          ],
        };
      });
    });

  cli
    .command('builds:prune [app]', 'Mark builds of dead processes failed and drop build output beyond the retention')
    .option('--all-apps', 'Every app')
    .action(async (name: string | undefined, opts: { allApps?: boolean }) => {
      const { db } = await ctx.store();
      if (name !== undefined && opts.allApps) throw new UsageError('Name an app or pass --all-apps, not both');
      if (name === undefined && !opts.allApps) throw new UsageError('Missing app name (or pass --all-apps)');
      const apps = name === undefined ? listApps(db) : [requireApp(db, validateAppName(name))];
      return forEachApp(io, apps, (a) => a.name, async (app) => {
        const pruned = await pruneBuilds(ctx, app);
        io.out(step(pruned.length ? `Pruned the output of ${pruned.length} build${pruned.length === 1 ? '' : 's'} of ${app.name}` : `Nothing to prune for ${app.name}`));
      });
    });

  cli
    .command('builds:list <app>', 'List builds, newest first')
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      if (listBuilds(db, app.id).some((b) => b.status === 'running')) {
        // A build still running may belong to a process that died: find out before showing it.
        const [{ makePipeline }, { recoverIfIdle }] = await Promise.all([import('../app/wiring.ts'), import('../app/recovery.ts')]);
        await recoverIfIdle(await makePipeline(ctx), app);
      }
      const builds = listBuilds(db, app.id);
      if (format === 'json') {
        io.out(toJson(builds));
        return;
      }
      header(io, `${app.name} Builds`);
      for (const b of builds) {
        const secs = b.seconds === null ? '' : `${b.seconds.toFixed(1)}s`;
        io.out(`${String(b.number).padStart(4)}  ${b.status.padEnd(9)} ${b.source.padEnd(7)} ${(b.sha ?? '').slice(0, 7).padEnd(7)} ${(b.builder ?? '').padEnd(10)} ${secs.padStart(7)}  ${b.started_at}${b.reason ? `  ${escapeControls(b.reason)}` : ''}`);
      }
    });

  cli
    .command('builds:info <app> <build>', 'Show one build: status, source, builder, image, times')
    .option('--format <format>', 'text or json')
    .action(async (name: string, build: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const n = parsePositiveInt('Build number', build);
      const b = listBuilds(db, app.id).find((r) => r.number === n);
      if (!b) throw new UserError(`Build ${n} of ${app.name} does not exist`);
      const fields: ReportFields = [
        ['Build id', b.number],
        ['Build status', b.status],
        ['Build source', b.source],
        ['Build sha', b.sha],
        ['Build builder', b.builder],
        ['Build buildpack', b.buildpack],
        ['Build image', b.image],
        ['Build seconds', b.seconds === null ? null : b.seconds.toFixed(1)],
        ['Build started at', b.started_at],
        ['Build finished at', b.finished_at],
        ['Build reason', b.reason],
      ];
      if (format === 'json') io.out(toJson(reportJson(fields)));
      else {
        const [title, ...rows] = renderReport(`${app.name} build ${b.number}`, fields);
        if (!io.quiet) io.out(title!);
        for (const line of rows) io.out(line);
      }
    });

  cli.command('builds:output <app> [build]', 'Print the output of a build (the latest by default)').action(async (name: string, build: string | undefined) => {
    const { db } = await ctx.store();
    const app = requireApp(db, validateAppName(name));
    const builds = listBuilds(db, app.id);
    const n = build === undefined ? builds[0]?.number : parsePositiveInt('Build number', build);
    if (n === undefined) throw new UserError(`${app.name} has no builds yet`);
    const path = buildLogPath(ctx.settings, app.id, n);
    if (!builds.some((b) => b.number === n) || !existsSync(path)) throw new UserError(`Build ${n} of ${app.name} has no output`);
    process.stdout.write(readFileSync(path));
  });

  cli.command('builder:set <app> <property> [value]', 'Set the builder: selected herokuish|dockerfile|null (empty to detect)').action(
    async (name: string, property: string, value: string | undefined) => {
      const changed = await setSetting(ctx, validateAppName(name), 'builder', property, value ? value : null);
      io.out(step(changed ? `Set builder ${property}${value ? ` to ${value}` : ' to auto-detect'}` : `builder ${property} unchanged`));
    },
  );

  cli
    .command('builder:report [app]', 'Show the builder settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'builder information', (app) => ({
        // Dokku's names; an empty value means the builder is detected from the source.
        fields: [
          ['Builder computed selected', setting(db, app.id, 'builder', 'selected') || setting(db, '', 'builder', 'selected')],
          ['Builder global selected', setting(db, '', 'builder', 'selected')],
          ['Builder selected', setting(db, app.id, 'builder', 'selected')],
        ],
      }));
    });

  const listOf = async (app: string): Promise<{ id: string; list: string[] }> => {
    const { db } = await ctx.store();
    const row = requireApp(db, app);
    return { id: row.id, list: JSON.parse(getSettings(db, row.id, 'buildpacks').list ?? '[]') as string[] };
  };
  const saveList = async (app: string, list: string[]) => setSetting(ctx, app, 'buildpacks', 'list', list.length ? JSON.stringify(list) : null);
  const checkUrl = (command: string, app: string, url: string) => checkBuildpackWord(ctx, command, app, url);

  cli
    .command('buildpacks:add <app> <buildpack>', 'Add a buildpack (git URL or built-in name)')
    .option('--index <n>', 'Insert at this 1-based position')
    .action(async (name: string, url: string, opts: { index?: unknown }) => {
      const app = validateAppName(name);
      await checkUrl('buildpacks:add', app, url);
      const { list } = await listOf(app);
      if (list.includes(url)) throw new UserError(`Buildpack ${url} is already set`);
      const at = opts.index === undefined ? list.length : parsePositiveInt('--index', String(opts.index), list.length + 1) - 1;
      list.splice(at, 0, url);
      await saveList(app, list);
      io.out(step(`Added buildpack ${url}`));
    });
  cli
    .command('buildpacks:set <app> <buildpack>', 'Replace the buildpack list with one buildpack (or the one at --index)')
    .option('--index <n>', 'Replace the buildpack at this 1-based position')
    .action(async (name: string, url: string, opts: { index?: unknown }) => {
      const app = validateAppName(name);
      await checkUrl('buildpacks:set', app, url);
      const { list } = await listOf(app);
      if (opts.index === undefined) await saveList(app, [url]);
      else {
        list[parsePositiveInt('--index', String(opts.index), Math.max(1, list.length)) - 1] = url;
        await saveList(app, list);
      }
      io.out(step(`Set buildpack ${url}`));
    });
  cli.command('buildpacks:remove <app> <buildpack>', 'Remove a buildpack').action(async (name: string, url: string) => {
    const app = validateAppName(name);
    const { list } = await listOf(app);
    if (!list.includes(url)) throw new UserError(`Buildpack ${printable(url)} is not set for ${app}`);
    await saveList(app, list.filter((b) => b !== url));
    io.out(step(`Removed buildpack ${url}`));
  });
  cli.command('buildpacks:clear <app>', 'Remove every buildpack (detect again)').action(async (name: string) => {
    await saveList(validateAppName(name), []);
    io.out(step('Cleared buildpacks'));
  });
  cli
    .command('buildpacks:list <app>', 'List the app\'s buildpacks')
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { list } = await listOf(validateAppName(name));
      if (format === 'json') io.out(toJson(list));
      else {
        header(io, `${name} buildpack urls`);
        for (const b of list) io.out(b);
      }
    });
  cli
    .command('buildpacks:set-property [...args]', 'Set a buildpacks property: --global stack IMAGE')
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => {
      const app = appOrGlobal(opts.global ? undefined : args[0], opts.global);
      const [property, value] = opts.global ? args : args.slice(1);
      if (!property) throw new UserError('Missing property name');
      // The list is the app's, edited word by word so each buildpack is checked as the command takes it.
      if (property === 'list') throw new UsageError('Use buildpacks:add, buildpacks:set, buildpacks:remove or buildpacks:clear to change the buildpack list');
      await setSetting(ctx, app, 'buildpacks', property, value ? value : null);
      io.out(step(`Set buildpacks ${property}${value ? ` to ${value}` : ' to its default'}`));
    });
  cli
    .command('buildpacks:report [app]', 'Show the buildpack settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const globalStack = setting(db, '', 'buildpacks', 'stack');
      await printAppReports(ctx, db, { name, format }, 'buildpacks information', (app) => ({
        // Dokku's fields; the stack is only set globally here (buildpacks:set-property --global stack).
        fields: [
          ['Buildpacks computed stack', globalStack],
          ['Buildpacks global stack', globalStack],
          ['Buildpacks list', (JSON.parse(getSettings(db, app.id, 'buildpacks').list ?? '[]') as string[]).join(',')],
          ['Buildpacks stack', ''],
        ],
      }));
    });

  cli
    .command('buildpacks:detect <app>', 'Show the builder and buildpack the stored source would build with (not in Dokku)')
    .action(async (name: string) => {
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const { detectFromStoredSource } = await import('../app/detect.ts');
      const found = await detectFromStoredSource(ctx, app);
      header(io, `${app.name} buildpack detection`);
      io.out(detail(`Builder: ${found.builder}`));
      if (found.from) io.out(detail(`Buildpacks from: ${found.from}`));
      if (found.buildpack) io.out(detail(`Buildpack: ${found.buildpack}`));
    });
}
