import { UserError } from '../lib/errors.ts';
import { appStream, GLOBAL_STREAM, type StoredEvent } from '../state/events.ts';
import { decideGlobalDomains, decideProxy, evolveProxy, type GlobalDomainsCommand, type ProxyCommand } from '../state/proxy-decider.ts';
import { allMappedHostPorts, listDomains, proxyContext, proxyState, vhostlessHostPorts } from '../state/proxy-queries.ts';
import { listeningPorts } from '../proxy/host-ports.ts';
import { pluginTriggers } from './triggers.ts';
import { findAppById, listApps, requireApp, type AppRow } from '../state/queries.ts';
import { getSettings } from '../state/release-queries.ts';
import { decideSetting } from '../state/settings-schema.ts';
import { decideAndRoute, freeHostPort, routingView, servedHostPorts, vhostChanges, type RoutingDeps } from './routing.ts';

/**
 * The routing commands as one call each: decide against the app's (or the global) state, render
 * every affected vhost as if recorded, check it with nginx, record, reload.
 */

function current(deps: RoutingDeps, app: AppRow): AppRow {
  const row = findAppById(deps.store.db, app.id);
  if (!row) throw new UserError(`App ${app.name} does not exist`);
  return row;
}

export async function changeAppRouting(deps: RoutingDeps, name: string, command: ProxyCommand): Promise<StoredEvent[]> {
  const events = await routeChange(deps, name, command);
  // Dokku's post-domains-update APP ACTION DOMAIN… and post-proxy-ports-update APP ACTION.
  const [ns, action] = command.type.split(':') as [string, string];
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (ns === 'domains') await pluginTriggers(deps.settings, say).fire('post-domains-update', [name, action, ...('domains' in command ? command.domains : [])]);
  if (ns === 'ports') await pluginTriggers(deps.settings, say).fire('post-proxy-ports-update', [name, action]);
  return events;
}

async function routeChange(deps: RoutingDeps, name: string, command: ProxyCommand): Promise<StoredEvent[]> {
  const { db } = deps.store;
  const app = requireApp(db, name);
  return decideAndRoute(
    deps,
    appStream(app.id),
    () => ({ app: current(deps, app), proxy: proxyState(db, app.id) }),
    (s) => decideProxy(command, s.proxy, proxyContext(db, app.id)),
    (s, events) => vhostChanges(deps, s.app, { proxy: events.reduce(evolveProxy, s.proxy) }),
  );
}

export async function changeGlobalDomains(deps: RoutingDeps, command: GlobalDomainsCommand): Promise<StoredEvent[]> {
  const { db } = deps.store;
  return decideAndRoute(
    deps,
    GLOBAL_STREAM,
    () => listDomains(db, ''),
    (globals) => decideGlobalDomains(command, globals),
    (globals, events) => {
      let next = globals;
      for (const e of events) {
        if (e.type === 'DomainAdded') next = [...next, e.data.domain];
        if (e.type === 'DomainRemoved') next = next.filter((d) => d !== e.data.domain);
      }
      return listApps(db).flatMap((a) => vhostChanges(deps, a, { globals: next }));
    },
  );
}

/** A setting that changes vhosts (`proxy`, `nginx`): app scope, or every app for `--global`. */
export async function changeRoutingSetting(deps: RoutingDeps, name: string | undefined, namespace: string, key: string, value: string | null): Promise<boolean> {
  const { db } = deps.store;
  const app = name === undefined ? undefined : requireApp(db, name);
  const scope = app?.id ?? '';
  const events = await decideAndRoute(
    deps,
    app ? appStream(app.id) : GLOBAL_STREAM,
    () => getSettings(db, scope, namespace)[key],
    (cur) => decideSetting(namespace, key, value, cur, app === undefined),
    () => {
      const pending = { setting: { scope, namespace, key, value } };
      const apps = app ? [current(deps, app)] : listApps(db);
      return apps.flatMap((a) => vhostChanges(deps, a, pending));
    },
  );
  return events.length > 0;
}

/**
 * `domains:disable`: the app keeps its domains on record but nginx serves it on a host port of its
 * own, for any name (Dokku's vhost-less mode). The port is chosen once, free on this host and
 * unmapped by any app, and kept until `domains:enable`. Returns it, or undefined when already off.
 */
export async function disableVhosts(deps: RoutingDeps, name: string): Promise<number | undefined> {
  const { db } = deps.store;
  const app = requireApp(db, name);
  if (routingView(deps, app).hostPort !== undefined) return undefined;
  const taken = new Set([...allMappedHostPorts(db), ...vhostlessHostPorts(db), ...servedHostPorts(deps), deps.settings.nginxHttpPort, deps.settings.nginxHttpsPort]);
  const port = freeHostPort(taken, listeningPorts());
  await changeRoutingSetting(deps, name, 'domains', 'host-port', String(port));
  return port;
}

/** `domains:enable`: back to name-based vhosts on the proxy's ports. */
export function enableVhosts(deps: RoutingDeps, name: string): Promise<boolean> {
  return changeRoutingSetting(deps, name, 'domains', 'host-port', null);
}

/** `domains:reset`: vhosts on, the app's own domains gone, so it answers at `<app>.<global>` only. */
export async function resetDomains(deps: RoutingDeps, name: string): Promise<void> {
  await enableVhosts(deps, name);
  await changeAppRouting(deps, name, { type: 'domains:clear' });
}
