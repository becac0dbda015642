import type { CAC } from 'cac';
import { UsageError } from '../lib/errors.ts';
import { changeRoutingSetting } from '../app/routing-changes.ts';
import { globalIncludePath } from '../proxy/nginx.ts';
import { rebuildAll, rebuildApp, removeRouting, routingView, type RoutingDeps } from '../app/routing.ts';
import { setSetting } from '../app/settings.ts';
import { UserError } from '../lib/errors.ts';
import { OTHER_PROXY_TYPES } from '../state/proxy-settings.ts';
import { getSettings } from '../state/release-queries.ts';
import { vhostPath } from '../lib/settings.ts';
import { listApps, requireApp } from '../state/queries.ts';
import { getRuntime } from '../state/release-queries.ts';
import { printable, validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import type { Context } from '../app/context.ts';
import { section, step, type ReportFields } from '../lib/output.ts';
import { existsSync } from 'node:fs';

export async function routingDeps(ctx: Context): Promise<RoutingDeps> {
  return { store: await ctx.store(), settings: ctx.settings, actor: ctx.actor };
}

/** `<app>` or `--all`, never both. */
function appsOrAll(deps: RoutingDeps, app: string | undefined, all: boolean | undefined): string[] {
  if (all && app !== undefined) throw new UsageError('Give an app or --all, not both');
  if (all) return listApps(deps.store.db).map((a) => a.name);
  if (app === undefined) throw new UsageError('Missing app name (or pass --all)');
  return [validateAppName(app)];
}

export function registerProxy(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  for (const [command, value, verb] of [['proxy:enable', null, 'Enabling'], ['proxy:disable', 'true', 'Disabling']] as const) {
    cli
      .command(`${command} [app]`, `${verb === 'Enabling' ? 'Route' : 'Stop routing'} the app's traffic through nginx`)
      .option('--all', 'Every app')
      .action(async (app: string | undefined, opts: { all?: boolean }) => {
        const deps = await routingDeps(ctx);
        for (const name of appsOrAll(deps, app, opts.all)) {
          io.out(step(`${verb} proxy for ${name}`));
          await changeRoutingSetting(deps, name, 'proxy', 'disabled', value);
        }
      });
  }

  cli
    .command('proxy:build-config [app]', 'Write the app\'s nginx vhost from its recorded state, check it and reload')
    .option('--all', 'Every app, and the global include file')
    .action(async (app: string | undefined, opts: { all?: boolean }) => {
      const deps = await routingDeps(ctx);
      if (opts.all) {
        if (app !== undefined) throw new UsageError('Give an app or --all, not both');
        const n = await rebuildAll(deps, { force: true });
        io.out(step(`Rebuilt nginx config for ${n} app${n === 1 ? '' : 's'}`));
        return;
      }
      const name = appsOrAll(deps, app, false)[0]!;
      // Always checked and reloaded, as Dokku's: files plugins drop in nginx.conf.d are read only then.
      const changed = await rebuildApp(deps, requireApp(deps.store.db, name), { force: true });
      io.out(step(changed ? `Rebuilt nginx config for ${name}` : `nginx config for ${name} is up to date`));
    });

  cli
    .command('proxy:set [...words]', "Set the proxy type for an app or --global: `proxy:set <app> type nginx` (or Dokku's older `proxy:set <app> nginx`); nginx is the only type here")
    .usage('proxy:set <app>|--global [type] nginx')
    .option('--global', 'The global proxy type')
    .action(async (words: string[], opts: { global?: boolean }) => {
      const rest = opts.global ? words : words.slice(1);
      const app = opts.global ? undefined : words[0];
      if (!opts.global && app === undefined) throw new UsageError('Missing app name (or pass --global)');
      // `type nginx` (Dokku's property form) or just `nginx` (its older form).
      const value = rest[0] === 'type' ? rest.slice(1) : rest;
      if (value.length > 1) throw new UsageError(opts.global ? 'Give an app or --global, not both' : `Unexpected words after the proxy type: ${value.slice(1).map(printable).join(' ')}`);
      const type = value[0];
      if (type === undefined) throw new UsageError('Missing proxy type (nginx)');
      if (type !== 'nginx') {
        const known = OTHER_PROXY_TYPES.includes(type) ? `${type} is a Dokku proxy type not built in here` : `unknown proxy type`;
        throw new UserError(`Proxy type '${printable(type)}' refused: ${known}; the only proxy type is nginx`);
      }
      const name = app === undefined ? undefined : validateAppName(app);
      const changed = await setSetting(ctx, name, 'proxy', 'type', type);
      io.out(changed ? section(`Setting type to ${type}`) : step(`Proxy type of ${name ?? 'global'} is already ${type}`));
    });

  cli
    .command('proxy:clear-config [app]', 'Remove the app\'s generated nginx vhost (proxy:build-config writes it again)')
    .option('--all', 'Every app')
    .action(async (app: string | undefined, opts: { all?: boolean }) => {
      const deps = await routingDeps(ctx);
      for (const name of appsOrAll(deps, app, opts.all)) {
        await removeRouting(deps, requireApp(deps.store.db, name));
        io.out(step(`Cleared nginx config for ${name}`));
      }
    });

  cli
    .command('proxy:report [app]', 'Show proxy information (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const { db } = deps.store;
      await printAppReports(ctx, db, { name, format }, 'proxy information', (app) => {
      const view = routingView(deps, app);
      const runtime = getRuntime(db, app.id);
      const why = !view.enabled ? 'proxy disabled' : !view.deployed ? 'not deployed' : view.domains.length === 0 ? 'no domains (domains:add, or domains:set-global)' : '';
      const fields: ReportFields = [
        ['Proxy enabled', view.enabled],
        ['Proxy type', getSettings(db, app.id, 'proxy')['type'] ?? getSettings(db, '', 'proxy')['type'] ?? 'nginx'],
      ];
      const extra: ReportFields = [
        ['Proxy routed', view.input !== undefined],
        ['Proxy not routed because', why],
        ['Proxy vhost file', vhostPath(ctx.settings, app.name)],
        ['Proxy vhost written', existsSync(vhostPath(ctx.settings, app.name))],
        ['Proxy global include', globalIncludePath(ctx.settings)],
        ['Proxy domains', view.domains.join(' ')],
        ['Proxy tls', view.input?.tls !== undefined],
        ['Proxy upstreams', (runtime.stopped ? [] : runtime.upstreams).map((u) => `${u.host}:${u.port}`).join(' ')],
      ];
        return { fields, extra };
      });
    });
}
