import type { CAC } from 'cac';
import { parseDomainGrant } from '../state/access-decider.ts';
import { grantedDomains, listKeys } from '../state/access-queries.ts';
import { requireApp } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import type { Context } from '../app/context.ts';
import { header, step } from '../lib/output.ts';
import { runAccessCommand } from '../app/keys.ts';
import { requireService } from '../app/services.ts';
import { serviceKind } from '../lib/services/index.ts';
import { serviceGrantKeys } from '../state/service-queries.ts';

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

  const service = async (type: string, name: string) => {
    const kind = serviceKind(type);
    return { kind, row: requireService(await ctx.store(), kind, name) };
  };
  cli.command('acl:add-service <type> <service> <key>', 'Let a (non-admin) key use a service (postgres, redis): info, link to its own apps, connect, export, import, backup').action(async (type: string, name: string, key: string) => {
    const { kind, row } = await service(type, name);
    const events = await runAccessCommand(ctx, { type: 'acl:add-service', key, kind: kind.name, name: row.name, serviceId: row.id });
    io.out(step(events.length ? `Key ${key} may now use ${kind.name} service ${row.name}` : `Key ${key} could already use ${kind.name} service ${row.name}`));
  });

  cli.command('acl:remove-service <type> <service> <key>', "Take a key's access to a service away").action(async (type: string, name: string, key: string) => {
    const { kind, row } = await service(type, name);
    await runAccessCommand(ctx, { type: 'acl:remove-service', key, kind: kind.name, name: row.name, serviceId: row.id });
    io.out(step(`Key ${key} may no longer use ${kind.name} service ${row.name}`));
  });

  cli
    .command('acl:list-service <type> <service>', 'List the keys that may use a service (admin keys may use all)')
    .option('--format <format>', 'text or json')
    .action(async (type: string, name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { kind, row } = await service(type, name);
      const keys = serviceGrantKeys((await ctx.store()).db, row.id);
      if (format === 'json') return void io.out(toJson(keys));
      header(io, `${kind.name} service ${row.name} access`);
      for (const k of keys) io.out(k);
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
