import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { createNetwork, destroyNetwork, networkState, rebuildNetwork, setNetworkProperty } from '../app/networks.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { NETWORK_PROPERTIES, type NetworkProperty, appNetworkName } from '../lib/networks.ts';
import { header, step, type ReportFields } from '../lib/output.ts';
import { printable } from '../lib/validate.ts';
import { appsOnNetwork, getNetwork, listNetworks } from '../state/network-queries.ts';
import { findAppById } from '../state/queries.ts';
import { getRunSettings } from '../state/run-settings.ts';
import { effectiveRunSettings } from '../lib/run-settings.ts';
import { appOrGlobal, parseFormat, toJson } from './common.ts';
import { printAppReports } from './report.ts';

/**
 * `network:*`. Unlike Dokku, every app already runs on a network of its own (`dokku.app.<app>`), so
 * apps reach each other only on networks made here and attached with `network:set`.
 */
export function registerNetwork(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('network:create <name>', 'Create a Docker network apps can be attached to').action(async (name: string) => {
    await createNetwork(ctx, name);
    io.out(step(`Creating network ${name}`));
  });

  cli
    .command('network:destroy <name>', 'Destroy a network made with network:create; refused while an app is set to use it')
    .option('--force', 'Disconnect what is on it and destroy it anyway')
    .action(async (name: string, opts: { force?: boolean }) => {
      await destroyNetwork(ctx, name, Boolean(opts.force));
      io.out(step(`Destroying network ${name}`));
    });

  cli.command('network:exists <name>', 'Exit 0 when the network exists (made with network:create), 1 otherwise').action(async (name: string) => {
    const { db } = await ctx.store();
    if (!getNetwork(db, name)) throw new UserError(`Network ${printable(name)} does not exist`);
    io.out(step('Network exists'));
  });

  cli
    .command('network:info <name>', 'Show a network: its containers and the apps set to use it')
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const row = getNetwork(db, name);
      if (!row) throw new UserError(`Network ${printable(name)} does not exist (see network:list)`);
      const state = await networkState(ctx, name);
      const info = { name, created_at: row.createdAt, actor: row.actor, exists_in_docker: state.exists, apps: appsOnNetwork(db, name).map((id) => findAppById(db, id)?.name ?? id), containers: state.containers };
      if (format === 'json') return void io.out(toJson(info));
      header(io, `${name} network information`);
      for (const [k, v] of [['Created at', info.created_at], ['In Docker', String(info.exists_in_docker)], ['Apps', info.apps.join(' ')], ['Containers', info.containers.join(' ')]] as const) io.out(`       ${`${k}:`.padEnd(14)}${v}`);
    });

  cli
    .command('network:list', 'List the networks made with network:create')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const rows = listNetworks(db);
      if (format === 'json') return void io.out(toJson(rows.map((r) => ({ name: r.name, created_at: r.createdAt }))));
      header(io, 'Networks');
      for (const r of rows) io.out(r.name);
    });

  cli.command('network:rebuild <name>', 'Make the Docker network again if it went missing').action(async (name: string) => {
    io.out(step((await rebuildNetwork(ctx, name)) ? `Rebuilt network ${name}` : `Network ${name} is in place`));
  });

  cli.command('network:rebuildall', 'Make every missing network again').action(async () => {
    const { db } = await ctx.store();
    for (const r of listNetworks(db)) io.out(step((await rebuildNetwork(ctx, r.name)) ? `Rebuilt network ${r.name}` : `Network ${r.name} is in place`));
  });

  cli
    .command('network:set [...words]', `Set a network property for <app> (or --global): ${NETWORK_PROPERTIES.join(', ')}; no value resets it; applied at the next deploy or ps:restart`)
    .usage('network:set <app>|--global <property> [value...]')
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => {
      const [first, property, ...values] = opts.global ? [undefined, ...words] : words;
      const app = appOrGlobal(first, opts.global);
      if (property === undefined) throw new UsageError(`Missing property: one of ${NETWORK_PROPERTIES.join(', ')}`, 'network:set <app>|--global <property> [value...]');
      if (!(NETWORK_PROPERTIES as readonly string[]).includes(property)) throw new UserError(`Unknown network property '${printable(property)}': use one of ${NETWORK_PROPERTIES.join(', ')}`);
      const changed = await setNetworkProperty(ctx, app, property as NetworkProperty, values.filter((v): v is string => v !== undefined));
      io.out(step(changed ? `Setting network ${property}${values.length ? ` to ${values.join(' ')}` : ' to its default'} for ${app ?? 'every app'}` : `network ${property} unchanged`));
    });

  cli
    .command('network:report [app]', 'Show network settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const global = getRunSettings(db, '').network;
      await printAppReports(ctx, db, { name, format }, 'network information', (app) => {
        const own = getRunSettings(db, app.id).network;
        const computed = effectiveRunSettings(getRunSettings(db, ''), getRunSettings(db, app.id)).network;
        const text = (v: string | string[] | boolean) => (Array.isArray(v) ? v.join(' ') : String(v));
        const fields: ReportFields = [['Network app network', appNetworkName(app.name)]];
        for (const key of NETWORK_PROPERTIES) {
          const label = key.replace(/-/g, ' ');
          fields.push([`Network computed ${label}`, text(computed[key])], [`Network global ${label}`, text(global[key])], [`Network ${label}`, text(own[key])]);
        }
        return { fields };
      });
    });
}
