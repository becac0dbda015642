import { createAppContainer } from './networks.ts';
import { retryOnAsync } from '../lib/retry.ts';
import { createServer } from 'node:net';
import type Docker from 'dockerode';
import type { ReleaseSpec, Upstream } from '../lib/types.ts';
import { containerName, containerSpec, extraPorts, isWeb } from './container-spec.ts';
import { removeContainer } from './containers.ts';
import type { Slot } from './formation.ts';

/** Starting a deploy's or a scale's new containers, each web one on a free loopback port. */

/** A container this deploy started, with what checks and the proxy need to reach it. */
export interface Started extends Slot {
  container: Docker.Container;
  id: string;
  name: string;
  finalName: string;
  hostPort: number | undefined;
  /** Loopback ports of the other EXPOSEd ports, by container port. */
  extraHostPorts: Record<string, number>;
  ip: string | undefined;
}

/** A loopback port free right now; pinned into the container so restarts keep it (see containerSpec). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const portTaken = (err: unknown): boolean => /port is already allocated|address already in use/i.test(String((err as Error)?.message));

export function toUpstreams(started: Started[]): Upstream[] {
  return started
    .filter((s) => isWeb(s.processType) && s.hostPort !== undefined)
    .sort((a, b) => a.index - b.index)
    .map((s) => ({ processType: s.processType, containerName: s.finalName, host: '127.0.0.1', port: s.hostPort!, ...(Object.keys(s.extraHostPorts).length ? { ports: s.extraHostPorts } : {}) }));
}

/** Creates and starts one container per slot, all at once; on any failure removes those it made. */
export async function startSlots(docker: Docker, release: ReleaseSpec, slots: Slot[], nameOf: (s: Slot) => string): Promise<Started[]> {
  const results = await Promise.allSettled(slots.map((s) => startOne(docker, release, s, nameOf(s))));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => removeContainer(docker, s.id)));
    throw failed.reason;
  }
  return started;
}

async function startOne(docker: Docker, release: ReleaseSpec, slot: Slot, name: string): Promise<Started> {
  const web = isWeb(slot.processType);
  // Another process may take the port between our probe and Docker's bind: pick another.
  return retryOnAsync((err) => web && portTaken(err), 5, async () => {
    const hostPort = web ? await freeLoopbackPort() : undefined;
    const extraHostPorts: Record<string, number> = {};
    for (const p of web ? extraPorts(release) : []) {
      let port = await freeLoopbackPort();
      while (port === hostPort || Object.values(extraHostPorts).includes(port)) port = await freeLoopbackPort();
      extraHostPorts[String(p)] = port;
    }
    const container = await createAppContainer(docker, release, containerSpec(release, slot.processType, slot.index, { name, hostPort, extraHostPorts }), { processType: slot.processType, index: slot.index, oneOff: false });
    let ip: string | undefined;
    try {
      await container.start();
      const info = await container.inspect();
      ip = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress || undefined;
    } catch (err) {
      await removeContainer(docker, container.id);
      throw err;
    }
    return {
      ...slot,
      container,
      id: container.id,
      name,
      finalName: containerName(release.app, slot.processType, slot.index),
      hostPort,
      extraHostPorts,
      ip,
    };
  });
}
