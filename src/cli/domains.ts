import type { CAC } from 'cac';
import { changeAppRouting, changeGlobalDomains } from '../app/routing-changes.ts';
import { globalDomainFor, tenantDomainRefusal, validateDomain, type DomainClaims } from '../lib/domains.ts';
import { routingView, type RoutingDeps } from '../app/routing.ts';
import { grantedDomains } from '../state/access-queries.ts';
import { listDomains, othersDomains } from '../state/proxy-queries.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { renderReport, reportJson, step, type ReportFields } from '../lib/output.ts';
import { routingDeps } from './proxy.ts';

export function registerDomains(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  /** A tenant's new names, each judged before anything is recorded (see tenantDomainRefusal). */
  async function admitTenantDomains(command: string, app: AppRow, words: string[], deps: RoutingDeps): Promise<void> {
    const { db } = deps.store;
    const current = listDomains(db, app.id);
    const globals = listDomains(db, '');
    const claims: DomainClaims = {
      others: othersDomains(db, app.id),
      globals,
      own: globals.map((g) => globalDomainFor(app.name, g)),
      granted: grantedDomains(db, ctx.tenant!.key),
    };
    for (const domain of words.map(validateDomain)) {
      if (current.includes(domain)) continue;
      const why = tenantDomainRefusal(domain, claims);
      if (why) await forbidTenant(ctx, command, why, app.name);
    }
  }
  const appCommand = (name: string, description: string, type: 'domains:add' | 'domains:remove' | 'domains:set', verb: string) =>
    cli.command(`${name} <app> <...domains>`, description).action(async (app: string, domains: string[]) => {
      const deps = await routingDeps(ctx);
      if (type !== 'domains:remove' && ctx.tenant) await admitTenantDomains(name, requireApp(deps.store.db, validateAppName(app)), domains, deps);
      const events = await changeAppRouting(deps, validateAppName(app), { type, domains });
      io.out(step(events.length ? `${verb} ${domains.join(' ')} ${type === 'domains:remove' ? 'from' : 'for'} ${app}` : `No change to the domains of ${app}`));
    });
  appCommand('domains:add', 'Add domains the app answers to (hostnames or *.wildcards)', 'domains:add', 'Added');
  appCommand('domains:remove', 'Remove domains from the app', 'domains:remove', 'Removed');
  appCommand('domains:set', 'Replace the app\'s domains', 'domains:set', 'Set');

  cli.command('domains:clear <app>', 'Remove every domain of the app (global domains still apply)').action(async (app: string) => {
    await changeAppRouting(await routingDeps(ctx), validateAppName(app), { type: 'domains:clear' });
    io.out(step(`Cleared the domains of ${app}`));
  });

  const globalCommand = (name: string, description: string, type: 'domains:add-global' | 'domains:remove-global' | 'domains:set-global', verb: string) =>
    cli.command(`${name} <...domains>`, description).action(async (domains: string[]) => {
      const events = await changeGlobalDomains(await routingDeps(ctx), { type, domains });
      io.out(step(events.length ? `${verb} global domain ${domains.join(' ')}` : 'No change to the global domains'));
    });
  globalCommand('domains:add-global', 'Add a global domain: every app answers at <app>.<domain>', 'domains:add-global', 'Added');
  globalCommand('domains:remove-global', 'Remove a global domain', 'domains:remove-global', 'Removed');
  globalCommand('domains:set-global', 'Replace the global domains', 'domains:set-global', 'Set');
  cli.command('domains:clear-global', 'Remove every global domain').action(async () => {
    await changeGlobalDomains(await routingDeps(ctx), { type: 'domains:clear-global' });
    io.out(step('Cleared the global domains'));
  });

  cli
    .command('domains:report [app]', 'Show domains (all apps when none is named; --global for the global ones)')
    .option('--global', 'Show the global domains')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { global?: boolean; format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const { db } = deps.store;
      const globals = listDomains(db, '');
      if (opts.global) {
        const fields: ReportFields = [['Domains global enabled', globals.length > 0], ['Domains global vhosts', globals.join(' ')]];
        if (format === 'json') io.out(toJson(reportJson(fields)));
        else for (const line of renderReport('Global domains information', fields)) io.out(line);
        return;
      }
      const apps = name === undefined ? listApps(db) : [requireApp(db, validateAppName(name))];
      const out: Record<string, unknown> = {};
      for (const app of apps) {
        const own = listDomains(db, app.id);
        const fields: ReportFields = [
          ['Domains app enabled', own.length > 0],
          ['Domains app vhosts', own.join(' ')],
          ['Domains global enabled', globals.length > 0],
          ['Domains global vhosts', globals.join(' ')],
          ['Domains effective', routingView(deps, app).domains.join(' ')],
        ];
        if (format === 'json') out[app.name] = reportJson(fields);
        else for (const line of renderReport(`${app.name} domains information`, fields)) io.out(line);
      }
      if (format === 'json') io.out(toJson(name === undefined ? out : out[name]));
    });
}
