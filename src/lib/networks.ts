import { printable } from './validate.ts';
import type { NetworkSettings } from './run-settings.ts';

/**
 * Docker networks as rules: names, the app's own network, the DNS aliases Dokku gives, and the
 * create options a container of an app gets. Pure.
 *
 * Every app runs on a bridge network of its own, so one app's container cannot reach another's by
 * IP; apps meet only on networks an admin makes (`network:create`) and attaches them to.
 */

/** The app's own network: every container of the app, process or one-off, starts on it. */
export const appNetworkName = (app: string): string => `dokku.app.${app}`;
export const isAppNetwork = (name: string): boolean => name.startsWith('dokku.app.');

/** Docker's own, and the prefix dokku keeps for apps' networks. */
const RESERVED = new Set(['bridge', 'host', 'none', 'default', 'ingress', 'docker_gwbridge']);

export function networkNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name)) return `Invalid network name '${printable(name)}': letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63`;
  if (RESERVED.has(name) || isAppNetwork(name) || name.startsWith('container:')) return `Network name ${name} is reserved: choose another`;
  return undefined;
}

export const NETWORK_PROPERTIES = ['attach-post-create', 'attach-post-deploy', 'initial-network', 'bind-all-interfaces', 'tld', 'static-web-listener'] as const;
export type NetworkProperty = (typeof NETWORK_PROPERTIES)[number];

export function tldProblem(v: string): string | undefined {
  return v === '' || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(v) ? undefined : `Invalid tld '${printable(v)}': a DNS suffix such as svc.cluster.local`;
}

/** Dokku's aliases on an attached network: `APP.PROCESS_TYPE` and `APP.PROCESS_TYPE.N`, each with the tld. */
export function containerAliases(app: string, processType: string, index: number | undefined, tld: string): string[] {
  const names = [`${app}.${processType}`, ...(index !== undefined ? [`${app}.${processType}.${index}`] : [])];
  return tld ? names.map((n) => `${n}.${tld}`) : names;
}

/** The network a container starts on and its aliases there (create options), from the release's run settings. */
export function initialNetworking(
  app: string,
  network: NetworkSettings | undefined,
  processType: string,
  index: number | undefined,
): { NetworkMode: string; EndpointsConfig: Record<string, { Aliases: string[] }> } {
  const name = network?.['initial-network'] || appNetworkName(app);
  return { NetworkMode: name, EndpointsConfig: { [name]: { Aliases: containerAliases(app, processType, index, network?.tld ?? '') } } };
}
