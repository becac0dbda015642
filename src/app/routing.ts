import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { acmeDir, certDir, nginxIncludeDir, vhostPath, type Settings } from '../lib/settings.ts';
import type { DomainEvent, StoredEvent } from '../state/events.ts';
import { appStream } from '../state/events.ts';
import { retryOnAsync } from '../lib/retry.ts';
import { CONFLICT_ATTEMPTS, isConcurrencyError } from '../state/execute.ts';
import { type ProxyState } from '../state/proxy-decider.ts';
import { domainTakenExplicitly, listDomains, proxyState } from '../state/proxy-queries.ts';
import { findAppById, listApps, type AppRow } from '../state/queries.ts';
import { getRelease, getRuntime, getSettings, listReleases } from '../state/release-queries.ts';
import { settingDefault, type SettingReader } from '../state/settings-schema.ts';
import { pluginTriggers } from './triggers.ts';
import type { EventStore } from '../state/store.ts';
import type { Upstream } from '../lib/types.ts';
import { effectiveDomains, isWildcard } from '../lib/domains.ts';
import { effectivePorts } from '../lib/ports.ts';
import { readIfExists, reload, stageFiles, withNginxLock, type FileChange } from '../proxy/nginx.ts';
import { hostAddress } from '../proxy/host-ports.ts';
import { recordSwitch, type ProxyPort } from './pipeline.ts';
import { generationProbe, planServers, renderedVhost, type NginxOptions, type VhostInput } from '../proxy/vhost.ts';

/**
 * From state to nginx: what an app's vhost should say (read from the projections, optionally with
 * a change that is not recorded yet), and the check → record → reload sequence every routing
 * change goes through.
 */

export interface RoutingDeps {
  store: EventStore;
  settings: Settings;
  actor: string;
}

/** A change being decided: the vhost is rendered as if it were already recorded. */
export interface Pending {
  proxy?: ProxyState;
  globals?: string[];
  setting?: { scope: string; namespace: string; key: string; value: string | null };
  upstreams?: Upstream[];
  version?: number;
}

type SettingsView = SettingReader;

function settingsView(store: EventStore, appId: string, pending: Pending): SettingsView {
  const cache = new Map<string, Record<string, string>>();
  const scoped = (scope: string, ns: string) => {
    const k = `${scope}\0${ns}`;
    if (!cache.has(k)) cache.set(k, getSettings(store.db, scope, ns));
    return { ...cache.get(k)! };
  };
  return (ns, key) => {
    const app = scoped(appId, ns);
    const global = scoped('', ns);
    const p = pending.setting;
    if (p && p.namespace === ns && p.key === key && (p.scope === appId || p.scope === '')) {
      const target = p.scope === '' ? global : app;
      if (p.value === null) delete target[key];
      else target[key] = p.value;
    }
    return app[key] ?? global[key] ?? settingDefault(ns, key);
  };
}

export function nginxOptions(get: SettingsView): NginxOptions {
  return {
    clientMaxBodySize: get('nginx', 'client-max-body-size'),
    proxyReadTimeout: get('nginx', 'proxy-read-timeout'),
    proxyConnectTimeout: get('nginx', 'proxy-connect-timeout'),
    proxySendTimeout: get('nginx', 'proxy-send-timeout'),
    hsts: get('nginx', 'hsts') === 'true',
    hstsMaxAge: Number(get('nginx', 'hsts-max-age')),
    hstsIncludeSubdomains: get('nginx', 'hsts-include-subdomains') === 'true',
    hstsPreload: get('nginx', 'hsts-preload') === 'true',
    clientBodyTimeout: get('nginx', 'client-body-timeout'),
    clientHeaderTimeout: get('nginx', 'client-header-timeout'),
    keepaliveTimeout: get('nginx', 'keepalive-timeout'),
    lingeringTimeout: get('nginx', 'lingering-timeout'),
    sendTimeout: get('nginx', 'send-timeout'),
    underscoreInHeaders: get('nginx', 'underscore-in-headers'),
    proxyBufferSize: get('nginx', 'proxy-buffer-size'),
    proxyBuffering: get('nginx', 'proxy-buffering'),
    proxyBuffers: get('nginx', 'proxy-buffers'),
    proxyBusyBuffersSize: get('nginx', 'proxy-busy-buffers-size'),
    xForwardedFor: get('nginx', 'x-forwarded-for-value'),
    xForwardedPort: get('nginx', 'x-forwarded-port-value'),
    xForwardedProto: get('nginx', 'x-forwarded-proto-value'),
    xForwardedSsl: get('nginx', 'x-forwarded-ssl'),
    accessLogFormat: get('nginx', 'access-log-format'),
    bindAddressIpv6: bracketed(get('nginx', 'bind-address-ipv6')),
  };
}

const bracketed = (v: string): string => (v === '' || v.startsWith('[') ? v : `[${v}]`);

/** The app's log paths: its nginx:set value (`off`, or a path an admin named), else the default. */
export function logPaths(settings: Settings, app: string, get: SettingsView): { access: string; error: string } {
  return { access: get('nginx', 'access-log-path') || accessLogPath(settings, app), error: get('nginx', 'error-log-path') || errorLogPath(settings, app) };
}

export const certPaths = (settings: Settings, appId: string) => ({
  certificate: join(certDir(settings, appId), 'server.crt'),
  key: join(certDir(settings, appId), 'server.key'),
});

export const challengeDir = (settings: Settings): string => join(acmeDir(settings), 'challenges');

export const accessLogPath = (settings: Settings, app: string): string => join(settings.nginxLogDir, `${app}-access.log`);
export const errorLogPath = (settings: Settings, app: string): string => join(settings.nginxLogDir, `${app}-error.log`);

/** What routing knows about an app, whether or not it gets a vhost. */
export interface RoutingView {
  enabled: boolean;
  deployed: boolean;
  domains: string[];
  webPort: number;
  /** Every tcp port the release's image EXPOSEs when more than one (else empty). */
  exposedPorts: number[];
  /** Vhosts off (`domains:disable`): the one host port nginx serves the app on, for any name. */
  hostPort?: number;
  input?: VhostInput;
}

/** server_name for a vhost without domains: nginx's catch-all, alone on the app's own port. */
export const ANY_NAME = '_';

export function routingView(deps: Pick<RoutingDeps, 'store' | 'settings'>, app: AppRow, pending: Pending = {}): RoutingView {
  const { store, settings } = deps;
  const { db } = store;
  const get = settingsView(store, app.id, pending);
  const runtime = getRuntime(db, app.id);
  const version = pending.version ?? runtime.current;
  const release = version === undefined ? listReleases(db, app.id, 1)[0] : getRelease(db, app.id, version);
  const proxy = pending.proxy ?? proxyState(db, app.id);
  const globals = pending.globals ?? listDomains(db, '');
  const hostPortSetting = get('domains', 'host-port');
  const hostPort = hostPortSetting === '' ? undefined : Number(hostPortSetting);
  const domains = hostPort !== undefined ? [] : effectiveDomains(app.name, proxy.domains, globals, (d) => domainTakenExplicitly(db, d, app.id));
  const webPort = release?.webPort ?? 5000;
  const exposedPorts = release?.exposedPorts ?? [];
  const enabled = get('proxy', 'disabled') !== 'true';
  const deployed = version !== undefined;
  const view: RoutingView = { enabled, deployed, domains, webPort, exposedPorts, ...(hostPort !== undefined ? { hostPort } : {}) };
  if (!enabled || !deployed || (domains.length === 0 && hostPort === undefined)) return view;
  const tls = proxy.cert && hostPort === undefined ? certPaths(settings, app.id) : undefined;
  const ports = hostPort !== undefined
    ? [{ scheme: 'http' as const, host: hostPort, container: webPort }]
    : effectivePorts(proxy.ports, webPort, { http: settings.nginxHttpPort, https: settings.nginxHttpsPort }, tls !== undefined, exposedPorts);
  view.input = {
    app: app.name,
    appId: app.id,
    domains: hostPort !== undefined ? [ANY_NAME] : domains,
    upstreams: (pending.upstreams ?? (runtime.stopped ? [] : runtime.upstreams)).map((u) => ({ host: u.host, port: u.port, ...(u.ports ? { ports: u.ports } : {}) })),
    webPort,
    ...(exposedPorts.length > 1 ? { extraPorts: exposedPorts.filter((p) => p !== webPort) } : {}),
    ports,
    ...(tls ? { tls } : {}),
    nginx: nginxOptions(get),
    listenAddress: get('nginx', 'bind-address-ipv4') || settings.nginxListen,
    logs: logPaths(settings, app.name, get),
    challengeDir: challengeDir(settings),
    includeDir: nginxIncludeDir(settings, app.name),
    ...(release?.nginxTemplate !== undefined && get('nginx', 'disable-custom-config') !== 'true' ? { template: release.nginxTemplate } : {}),
  };
  return view;
}

/** Names the app had before a rename: their vhost files (still tagged with its id) must go. */
function previousNames(store: EventStore, app: AppRow): string[] {
  const rows = store.db
    .prepare(`SELECT data FROM events WHERE stream = ? AND type = 'AppRenamed'`)
    .all<{ data: string }>(appStream(app.id))
    .map((r) => (JSON.parse(r.data) as { from: string }).from);
  return [...new Set(rows)].filter((n) => n !== app.name);
}

/** The vhost file the app should have (null: none), plus removal of any it left under an old name. */
export function vhostChanges(deps: Pick<RoutingDeps, 'store' | 'settings'>, app: AppRow, pending: Pending = {}): FileChange[] {
  const input = routingView(deps, app, pending).input;
  const rendered = input ? renderedVhost(input) : undefined;
  const probe = input ? generationProbe(input) : undefined;
  const changes: FileChange[] = [
    {
      path: vhostPath(deps.settings, app.name),
      text: rendered?.text ?? null,
      ...(probe && rendered ? { probe: { ...probe, address: input!.listenAddress, generation: rendered.generation } } : {}),
    },
  ];
  for (const old of previousNames(deps.store, app)) {
    const path = vhostPath(deps.settings, old);
    if (readIfExists(path)?.split('\n', 1)[0]?.includes(`(app id ${app.id})`)) changes.push({ path, text: null });
  }
  return changes;
}

/**
 * load → decide → render as if recorded → write and `nginx -t` → append → reload, under the nginx
 * lock. A refused configuration records nothing and leaves every file as it was.
 */
export async function decideAndRoute<S>(
  deps: RoutingDeps,
  stream: string,
  load: () => S,
  decide: (state: S) => DomainEvent[],
  changesFor: (state: S, events: DomainEvent[]) => FileChange[],
): Promise<StoredEvent[]> {
  const { store } = deps;
  return withNginxLock(deps.settings, async () => {
    const decided = await retryOnAsync(isConcurrencyError, CONFLICT_ATTEMPTS, async () => {
      const { version, state } = store.db.transaction('deferred', () => ({ version: store.version(stream), state: load() }));
      const events = decide(state);
      if (events.length === 0) return undefined;
      const staged = await stageFiles(deps.settings, changesFor(state, events));
      try {
        return { staged, stored: store.append(stream, version, events, deps.actor) };
      } catch (err) {
        staged.restore();
        throw err;
      }
    });
    if (!decided) return [];
    await decided.staged.commit();
    return decided.stored;
  });
}

/**
 * The deploy's switch, under the nginx lock: the new upstreams go into the vhost and `nginx -t`
 * checks it, then TrafficSwitched is recorded, then nginx reloads and the new generation must
 * answer, all before any old container retires. A refused configuration throws before anything
 * is recorded, so the old containers keep serving.
 */
export async function switchTraffic(deps: RoutingDeps, app: AppRow, version: number, upstreams: Upstream[]): Promise<void> {
  await withNginxLock(deps.settings, async () => {
    // By id: the row may predate a rename; an app destroyed meanwhile has no vhost to point.
    const row = findAppById(deps.store.db, app.id);
    const before = getRuntime(deps.store.db, app.id);
    const staged = row ? await stageFiles(deps.settings, vhostChanges(deps, row, { upstreams, version })) : undefined;
    try {
      recordSwitch(deps, app.id, version, upstreams);
    } catch (err) {
      staged?.restore();
      throw err;
    }
    try {
      // Dokku's nginx-pre-reload APP INTERNAL_PORT INTERNAL_IP: a failure keeps the old upstreams serving.
      if (row && upstreams[0]) await pluginTriggers(deps.settings, (l) => process.stderr.write(`${l}\n`)).fire('nginx-pre-reload', [row.name, String(upstreams[0].port), upstreams[0].host]);
      await staged?.commit({ confirm: true });
    } catch (err) {
      // nginx did not take the switch: it serves the old upstreams still, so the files and the
      // record go back to them (the scheduler removes the new containers and keeps the old ones).
      staged?.restore();
      await reload(deps.settings);
      recordSwitch(deps, app.id, before.current ?? version, before.upstreams);
      throw err;
    }
  });
}

/** nginx as the deploy pipeline's proxy. */
export function routingProxy(deps: RoutingDeps): ProxyPort {
  return {
    switch: (app, version, upstreams) => switchTraffic(deps, app, version, upstreams),
    urlsOf: (app) => appUrls(deps, app),
  };
}

/** Writes the app's vhost from its recorded state (after a stop, a rename, a certificate file change). */
export async function rebuildApp(deps: Pick<RoutingDeps, 'store' | 'settings'>, app: AppRow, opts: { force?: boolean } = {}): Promise<boolean> {
  return withNginxLock(deps.settings, async () => {
    const staged = await stageFiles(deps.settings, vhostChanges(deps, app), opts);
    await staged.commit();
    return staged.changed;
  });
}

/** Every app's vhost, one check and one reload. */
export async function rebuildAll(deps: Pick<RoutingDeps, 'store' | 'settings'>, opts: { force?: boolean } = {}): Promise<number> {
  return withNginxLock(deps.settings, async () => {
    const apps = listApps(deps.store.db);
    const staged = await stageFiles(deps.settings, apps.flatMap((a) => vhostChanges(deps, a)), opts);
    await staged.commit();
    return apps.length;
  });
}

/** Takes the app's vhost away (destroy): nginx stops routing to it before its containers go. */
export async function removeRouting(deps: Pick<RoutingDeps, 'store' | 'settings'>, app: AppRow): Promise<void> {
  await withNginxLock(deps.settings, async () => {
    const changes = vhostChanges(deps, app).map((c) => ({ ...c, text: null }));
    const staged = await stageFiles(deps.settings, changes);
    await staged.commit();
  });
}

/** Where the app answers: https first when it has a certificate; wildcards are not URLs. */
export function appUrls(deps: Pick<RoutingDeps, 'store' | 'settings'>, app: AppRow): string[] {
  const view = routingView(deps, app, { version: undefined });
  if (!view.enabled) return [];
  if (view.hostPort !== undefined) return [`http://${hostAddress(deps.settings.nginxListen)}:${view.hostPort}`];
  const cert = proxyState(deps.store.db, app.id).cert;
  const ports = effectivePorts(proxyState(deps.store.db, app.id).ports, view.webPort, { http: deps.settings.nginxHttpPort, https: deps.settings.nginxHttpsPort }, cert !== undefined, view.exposedPorts);
  const extraPorts = view.exposedPorts.filter((p) => p !== view.webPort);
  const { servers } = planServers({ ports, webPort: view.webPort, extraPorts, ...(cert ? { tls: certPaths(deps.settings, app.id) } : {}) });
  const served = servers.filter((s) => !s.redirect).sort((a, b) => (a.scheme === b.scheme ? 0 : a.scheme === 'https' ? -1 : 1));
  const urls: string[] = [];
  for (const s of served) {
    const standard = (s.scheme === 'http' && s.port === 80) || (s.scheme === 'https' && s.port === 443);
    for (const d of view.domains) if (!isWildcard(d)) urls.push(`${s.scheme}://${d}${standard ? '' : `:${s.port}`}`);
  }
  return urls;
}

/** Host ports nginx listens on for some app's vhost now (own mappings, EXPOSE defaults, vhost-less ports). */
export function servedHostPorts(deps: Pick<RoutingDeps, 'store' | 'settings'>): number[] {
  return listApps(deps.store.db).flatMap((a) => routingView(deps, a).input?.ports.map((m) => m.host) ?? []);
}

/** A host port for an app served without vhosts: nothing listens on it and no app maps it. */
export function freeHostPort(taken: Set<number>, listening: Set<number>, from = 10000, to = 60000): number {
  for (let p = from; p <= to; p++) if (!taken.has(p) && !listening.has(p)) return p;
  throw new UserError(`No free host port between ${from} and ${to}`);
}

/** After a destroy: the app's certificate and key go too. */
export function forgetCertificates(settings: Settings, appId: string): void {
  rmSync(certDir(settings, appId), { recursive: true, force: true });
}
