/**
 * What a platform import asks of the Docker engine before and while it brings a platform back:
 * whether containers of its apps and services are already there (names are the engine's, shared by
 * every DOKKU_ROOT on it), and the networks its containers join, made before the first of them.
 */
import type Docker from 'dockerode';
import { LABEL } from '../lib/labels.ts';
import { appNetworkName } from '../lib/networks.ts';
import { serviceContainerName } from '../lib/services/kind.ts';
import { ensureNetwork } from './networks.ts';

/** Names of the engine's containers (running or not) that belong to these apps or have these services' names. */
export async function existingContainers(docker: Docker, apps: readonly string[], services: ReadonlyArray<{ kind: string; name: string }>): Promise<string[]> {
  const appSet = new Set(apps);
  const serviceNames = new Set(services.map((s) => serviceContainerName(s.kind, s.name)));
  const all = await docker.listContainers({ all: true });
  const found: string[] = [];
  for (const c of all) {
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    const app = c.Labels?.[LABEL.app];
    if ((app !== undefined && appSet.has(app)) || serviceNames.has(name)) found.push(name || c.Id.slice(0, 12));
  }
  return found.sort();
}

/** Each app's own network and every `network:create` network, made if missing (as their first container would). */
export async function ensurePlatformNetworks(docker: Docker, apps: readonly string[], networks: readonly string[]): Promise<void> {
  for (const app of apps) await ensureNetwork(docker, appNetworkName(app), { [LABEL.app]: app });
  for (const name of networks) await ensureNetwork(docker, name, {});
}
