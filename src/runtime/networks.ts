import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { LABEL } from '../lib/labels.ts';
import { containerAliases, isAppNetwork } from '../lib/networks.ts';
import type { ReleaseSpec } from '../lib/types.ts';

/**
 * Docker networks dokku makes: each app's own bridge (made on its first container, so apps cannot
 * reach one another by IP) and the networks `network:create` makes for apps to meet on. Only
 * networks carrying dokku's label are ever removed.
 */

const status = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

export async function networkExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getNetwork(name).inspect();
    return true;
  } catch (err) {
    if (status(err) === 404) return false;
    throw err;
  }
}

/** Networks this process is making now: the containers of one deploy start side by side. */
const making = new Map<string, Promise<void>>();

/**
 * Makes the bridge network if it is not there. Docker lets two networks share a name (and then
 * refuses the name as ambiguous), so creations in this process go one at a time, and a racing
 * process's twin is removed again: every racer keeps the same one, the lowest id.
 */
export function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  const pending = making.get(name);
  if (pending) return pending;
  const made = (async () => {
    if (await networkExists(docker, name).catch((err) => (/ambiguous/.test(String((err as Error).message)) ? true : Promise.reject(err)))) return dedupe(docker, name);
    try {
      await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL.network]: name, ...labels } });
    } catch (err) {
      if (status(err) !== 409) throw err;
    }
    await dedupe(docker, name);
  })().finally(() => making.delete(name));
  making.set(name, made);
  return made;
}

async function dedupe(docker: Docker, name: string): Promise<void> {
  const same = (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name).sort((a, b) => a.Id.localeCompare(b.Id));
  for (const extra of same.slice(1)) await docker.getNetwork(extra.Id).remove().catch(() => undefined);
}

/** Removes a network dokku made; a network Docker or someone else made is left alone. */
export async function removeNetwork(docker: Docker, name: string): Promise<boolean> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { Labels?: Record<string, string> };
    if (info.Labels?.[LABEL.network] !== name) return false;
    await docker.getNetwork(name).remove();
    return true;
  } catch (err) {
    if (status(err) === 404) return false;
    throw err;
  }
}

export async function networkContainers(docker: Docker, name: string): Promise<string[]> {
  const info = (await docker.getNetwork(name).inspect()) as { Containers?: Record<string, { Name: string }> };
  return Object.values(info.Containers ?? {}).map((c) => c.Name);
}

export async function connect(docker: Docker, containerId: string, networks: readonly string[], aliases: string[]): Promise<void> {
  for (const net of networks) {
    try {
      await docker.getNetwork(net).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
    } catch (err) {
      // Already on it (a restart of the same container): nothing to do.
      if (status(err) !== 403 && !/already exists/.test(String((err as Error).message))) throw err;
    }
  }
}

/**
 * Creates a container of the app: its own network made first if it is the one the container starts
 * on, and the `attach-post-create` networks connected before it starts (for one-offs, the
 * `attach-post-deploy` ones too: a one-off joins what a deployed process has joined).
 */
export async function createAppContainer(
  docker: Docker,
  release: ReleaseSpec,
  spec: ContainerCreateOptions,
  who: { processType: string; index?: number; oneOff: boolean },
): Promise<Docker.Container> {
  const mode = spec.HostConfig?.NetworkMode;
  if (mode && isAppNetwork(mode)) await ensureNetwork(docker, mode, { [LABEL.app]: release.app });
  const container = await docker.createContainer(spec);
  const net = release.run?.network;
  const post = [...(net?.['attach-post-create'] ?? []), ...(who.oneOff ? (net?.['attach-post-deploy'] ?? []) : [])];
  if (post.length) {
    try {
      await connect(docker, container.id, post, who.oneOff ? [] : containerAliases(release.app, who.processType, who.index, net?.tld ?? ''));
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }
  return container;
}

/** `attach-post-deploy`: the release's new containers join these once their checks pass. */
export async function attachPostDeploy(docker: Docker, release: ReleaseSpec, started: ReadonlyArray<{ id: string; processType: string; index: number }>): Promise<void> {
  const net = release.run?.network;
  const nets = net?.['attach-post-deploy'] ?? [];
  if (!nets.length) return;
  for (const s of started) await connect(docker, s.id, nets, containerAliases(release.app, s.processType, s.index, net?.tld ?? ''));
}

