import type { CAC } from 'cac';
import { changeAppRouting, changeGlobalDomains, disableVhosts, enableVhosts, resetDomains } from '../app/routing-changes.ts';
import { globalDomainFor, tenantDomainRefusal, validateDomain, type DomainClaims } from '../lib/domains.ts';
import { appUrls, routingView, type RoutingDeps } from '../app/routing.ts';
import { requireApp as requireAppRow } from '../state/queries.ts';
import { grantedDomains } from '../state/access-queries.ts';
import { listDomains, othersDomains } from '../state/proxy-queries.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { step, type ReportFields } from '../lib/output.ts';
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

  cli
    .command('domains:disable <app>', 'Disable vhosts (admin keys only: it takes a host port): nginx serves the app on a host port of its own, for any name')
    .action(async (app: string) => {
      const name = validateAppName(app);
      const deps = await routingDeps(ctx);
      const port = await disableVhosts(deps, name);
      if (port === undefined) io.out(step(`Domains already disabled for ${name}`));
      else io.out(step(`Disabled domains for ${name}: served on port ${port} (${appUrls(deps, requireAppRow(deps.store.db, name))[0] ?? 'once deployed and running'})`));
    });
  cli.command('domains:enable <app>', 'Enable vhosts again: the app answers at its domains on the proxy\'s ports').action(async (app: string) => {
    const name = validateAppName(app);
    const changed = await enableVhosts(await routingDeps(ctx), name);
    io.out(step(changed ? `Enabled domains for ${name}` : `Domains already enabled for ${name}`));
  });
  cli
    .command('domains:reset <app>', 'Reset the app\'s domains to the global ones (<app>.<global>); enables vhosts')
    .action(async (app: string) => {
      const name = validateAppName(app);
      await resetDomains(await routingDeps(ctx), name);
      io.out(step(`Reset the domains of ${name} to the global domains`));
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
      const globalFields: ReportFields = [['Domains global enabled', globals.length > 0], ['Domains global vhosts', globals.join(' ')]];
      const req = { name, format, ...(opts.global ? { global: globalFields } : {}) };
      await printAppReports(ctx, db, req, 'domains information', (app) => {
        const own = listDomains(db, app.id);
        const view = routingView(deps, app);
        const fields: ReportFields = [
          ['Domains app enabled', own.length > 0 && view.hostPort === undefined],
          ['Domains app vhosts', own.join(' ')],
          ...globalFields,
        ];
        return { fields, extra: [['Domains effective', view.domains.join(' ')], ['Domains host port', view.hostPort ?? '']] };
      });
    });
}
