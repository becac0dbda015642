import type { CAC } from 'cac';
import { parseDomainGrant } from '../state/access-decider.ts';
import { grantedDomains, listKeys } from '../state/access-queries.ts';
import { requireApp } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import type { Context } from '../app/context.ts';
import { header, step } from '../lib/output.ts';
import { runAccessCommand } from '../app/keys.ts';

/** Which non-admin keys may act on which apps. Admin keys need no entry: they may use every app. */
export function registerAcl(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('acl:add <app> <key>', 'Let a (non-admin) key act on an app, pushes included').action(async (name: string, key: string) => {
    const app = requireApp((await ctx.store()).db, validateAppName(name));
    const events = await runAccessCommand(ctx, { type: 'acl:add', key, app: app.name, appId: app.id });
    io.out(step(events.length ? `Key ${key} may now use ${app.name}` : `Key ${key} could already use ${app.name}`));
  });

  cli.command('acl:remove <app> <key>', "Take a key's access to an app away").action(async (name: string, key: string) => {
    const app = requireApp((await ctx.store()).db, validateAppName(name));
    await runAccessCommand(ctx, { type: 'acl:remove', key, app: app.name, appId: app.id });
    io.out(step(`Key ${key} may no longer use ${app.name}`));
  });

  cli
    .command('acl:set <key> <property> [value]', 'Limit the domains a non-admin key may add to names under suffixes: acl:set KEY domains example.org[,example.net]; no value clears')
    .action(async (key: string, property: string, value: string | undefined) => {
      const { db } = await ctx.store();
      const events = await runAccessCommand(ctx, { type: 'acl:set', key, property, value, current: grantedDomains(db, key) });
      const domains = parseDomainGrant(value);
      if (events.length === 0) io.out(step(`Key ${key} domains unchanged`));
      else io.out(step(domains.length ? `Key ${key} may add domains under ${domains.join(', ')}` : `Key ${key} has no domain grant now`));
    });

  cli
    .command('acl:list [app]', 'List which keys may use which apps (admin keys may use all)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = name === undefined ? undefined : requireApp(db, validateAppName(name)).name;
      const keys = listKeys(db);
      const grants = keys.flatMap((k) => k.apps.map((a) => ({ app: a, key: k.name }))).filter((g) => app === undefined || g.app === app);
      grants.sort((a, b) => a.app.localeCompare(b.app) || a.key.localeCompare(b.key));
      const admins = keys.filter((k) => k.admin).map((k) => k.name);
      // Domain grants belong to keys, not apps: listed for the whole platform only.
      const domains = app !== undefined ? [] : keys.filter((k) => !k.admin).map((k) => ({ key: k.name, domains: grantedDomains(db, k.name) })).filter((k) => k.domains.length > 0);
      if (format === 'json') {
        io.out(toJson(app === undefined ? { grants, admins, domains } : { grants, admins }));
        return;
      }
      header(io, app ? `${app} access` : 'Access');
      const width = Math.max(0, ...grants.map((g) => g.app.length)) + 2;
      for (const g of grants) io.out(`${g.app.padEnd(width)}${g.key}`);
      io.out(`Admin keys (every app): ${admins.join(' ') || '(none)'}`);
      for (const k of domains) io.out(`Key ${k.key} may add domains under: ${k.domains.join(' ')}`);
    });
}
