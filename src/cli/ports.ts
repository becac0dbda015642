import type { CAC } from 'cac';
import { changeAppRouting } from '../app/routing-changes.ts';
import { assertHostPortsFree } from '../proxy/host-ports.ts';
import { effectivePorts, formatPortMapping, parsePortMapping } from '../lib/ports.ts';
import { certPaths, routingView, servedHostPorts, type RoutingDeps } from '../app/routing.ts';
import { planServers } from '../proxy/vhost.ts';
import { allMappedHostPorts, getCert, getPorts } from '../state/proxy-queries.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { header, step, type ReportFields } from '../lib/output.ts';
import { routingDeps } from './proxy.ts';

export function registerPorts(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  async function portsOf(name: string) {
    const deps = await routingDeps(ctx);
    return portsOfApp(deps, requireApp(deps.store.db, validateAppName(name)));
  }

  function portsOfApp(deps: RoutingDeps, app: AppRow) {
    const own = getPorts(deps.store.db, app.id);
    const cert = getCert(deps.store.db, app.id);
    const { webPort, exposedPorts } = routingView(deps, app);
    const effective = effectivePorts(own, webPort, { http: ctx.settings.nginxHttpPort, https: ctx.settings.nginxHttpsPort }, cert !== undefined, exposedPorts);
    const { skipped } = planServers({ ports: effective, webPort, extraPorts: exposedPorts.filter((p) => p !== webPort), ...(cert ? { tls: certPaths(ctx.settings, app.id) } : {}) });
    return { app, own, effective, skipped };
  }

  cli
    .command('ports:list <app>', 'List the port mappings nginx serves for the app')
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { effective, skipped } = await portsOf(name);
      if (format === 'json') {
        io.out(toJson(effective.map((m) => ({ scheme: m.scheme, host_port: m.host, container_port: m.container }))));
        return;
      }
      header(io, `Port mappings for ${name}`);
      io.out('    -----> scheme  host port  container port');
      for (const m of effective) io.out(`    -----> ${m.scheme.padEnd(7)} ${String(m.host).padEnd(10)} ${m.container}`);
      for (const why of skipped) io.err(` !     Not routed: ${why}`);
    });

  /**
   * Before a mapping is recorded: a tenant gets only the proxy's own ports (80/443), and no one a
   * port something else on the host already listens on.
   */
  async function admit(command: string, app: string, words: string[], deps: Awaited<ReturnType<typeof routingDeps>>): Promise<void> {
    const mappings = words.map(parsePortMapping);
    const proxyPorts = new Set([80, 443, ctx.settings.nginxHttpPort, ctx.settings.nginxHttpsPort]);
    const foreign = mappings.find((m) => !proxyPorts.has(m.host));
    if (foreign) await forbidTenant(ctx, command, `host port ${foreign.host}: non-admin keys may map only ports 80 and 443`, app);
    const ours = new Set([...proxyPorts, ...allMappedHostPorts(deps.store.db), ...servedHostPorts(deps)]);
    assertHostPortsFree(mappings, ours);
  }

  const change = (command: string, description: string, type: 'ports:add' | 'ports:set' | 'ports:remove') =>
    cli.command(`${command} <app> <...mappings>`, description).action(async (name: string, mappings: string[]) => {
      const deps = await routingDeps(ctx);
      const app = requireApp(deps.store.db, validateAppName(name));
      if (type !== 'ports:remove') await admit(command, app.name, mappings, deps);
      const events = await changeAppRouting(deps, app.name, { type, ports: mappings });
      io.out(step(events.length ? `Updated port mappings of ${name}` : `No change to the port mappings of ${name}`));
    });
  change('ports:add', 'Add scheme:host-port:container-port mappings (e.g. http:8080:5000)', 'ports:add');
  change('ports:set', 'Replace the app\'s port mappings', 'ports:set');
  change('ports:remove', 'Remove mappings (scheme:host:container, or a host port)', 'ports:remove');
  cli.command('ports:clear <app>', 'Go back to the default mapping (http:80:<web port>)').action(async (name: string) => {
    await changeAppRouting(await routingDeps(ctx), validateAppName(name), { type: 'ports:clear' });
    io.out(step(`Cleared the port mappings of ${name}`));
  });

  cli
    .command('ports:report [app]', 'Show port mappings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      await printAppReports(ctx, deps.store.db, { name, format }, 'ports information', (app) => {
        const { own, effective, skipped } = portsOfApp(deps, app);
        const fields: ReportFields = [
          ['Ports map', own.map(formatPortMapping).join(' ')],
          ['Ports map detected', own.length ? '' : effective.map(formatPortMapping).join(' ')],
        ];
        return { fields, extra: [['Ports effective', effective.map(formatPortMapping).join(' ')], ['Ports not routed', skipped.join('; ')]] };
      });
    });
}
