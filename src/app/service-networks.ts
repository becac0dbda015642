import { appNetworkName } from '../lib/networks.ts';
import type { Settings } from '../lib/settings.ts';
import type { ServiceLinkRef } from '../state/events.ts';

/**
 * Before a release's containers start, the services it links are on the app's network (a rollback
 * or a rename brings a link back to a network it was not on); once it serves, the others leave.
 */
export async function joinLinkedServices(settings: Settings, appName: string, links: readonly ServiceLinkRef[]): Promise<void> {
  if (!links.length) return;
  const { connectDocker } = await import('../lib/docker-client.ts');
  const { serviceKind } = await import('../lib/services/index.ts');
  const docker = await connectDocker(settings);
  const rt = await import('../runtime/services.ts');
  for (const l of links) await rt.joinAppNetwork(docker, serviceKind(l.kind), l.name, appNetworkName(appName), appName);
}

export async function leaveUnlinkedServices(settings: Settings, appName: string, links: readonly ServiceLinkRef[], before?: readonly ServiceLinkRef[]): Promise<void> {
  // Only a service linked before can be on the network now (an unlink, a rollback past a link).
  if (before && !before.some((b) => !links.some((l) => l.serviceId === b.serviceId))) return;
  const { connectDocker } = await import('../lib/docker-client.ts');
  await (await import('../runtime/services.ts')).servicesLeave(await connectDocker(settings), appNetworkName(appName), new Set(links.map((l) => l.serviceId)));
}


/** Every service leaves the app's network (its app is renamed or destroyed); with `remove`, the network goes too. */
export async function leaveAppNetwork(settings: Settings, appName: string, opts: { remove: boolean }): Promise<void> {
  const [{ connectDocker }, rt, net] = await Promise.all([import('../lib/docker-client.ts'), import('../runtime/services.ts'), import('../runtime/networks.ts')]);
  const docker = await connectDocker(settings);
  await rt.servicesLeave(docker, appNetworkName(appName));
  if (opts.remove) await net.removeNetwork(docker, appNetworkName(appName));
}
