import type Docker from 'dockerode';
import type { Upstream } from '../lib/types.ts';
import { LABEL } from '../lib/labels.ts';
import { containerName } from './container-spec.ts';
import type { ContainerState, ContainerStatus } from './scheduler.ts';

/** Reading an app's containers back from Docker, through their labels. */

const STATES: readonly ContainerState[] = ['created', 'running', 'restarting', 'paused', 'exited', 'removing', 'dead'];

/** Docker's list entry → our status; undefined for a container without our labels. */
export function statusFromSummary(c: Docker.ContainerInfo): ContainerStatus | undefined {
  const labels = c.Labels ?? {};
  const app = labels[LABEL.app];
  const processType = labels[LABEL.processType];
  if (!app || !processType) return undefined;
  const index = Number(labels[LABEL.processIndex]);
  const state = STATES.find((s) => s === c.State) ?? 'dead';
  const loopback = (c.Ports ?? []).filter((p) => p.IP === '127.0.0.1' && p.PublicPort);
  // Containers from before the web-port label publish one port only.
  const webPort = Number(labels[LABEL.webPort] ?? 0);
  const published = loopback.find((p) => !webPort || p.PrivatePort === webPort);
  const extra = Object.fromEntries(loopback.filter((p) => p !== published).map((p) => [String(p.PrivatePort), p.PublicPort]));
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    app,
    processType,
    index: Number.isInteger(index) && index > 0 ? index : undefined,
    release: Number(labels[LABEL.release] ?? 0),
    state,
    hostPort: published?.PublicPort,
    ...(Object.keys(extra).length ? { extraHostPorts: extra } : {}),
    oneOff: labels[LABEL.oneOff] === 'true',
    ...(c.Command !== undefined ? { command: c.Command } : {}),
    ...(c.Created !== undefined ? { created: c.Created } : {}),
  };
}

export function byProcess(a: ContainerStatus, b: ContainerStatus): number {
  return a.processType.localeCompare(b.processType) || (a.index ?? 0) - (b.index ?? 0) || a.name.localeCompare(b.name);
}

/** Running web containers with a published port, as nginx should see them. */
export function upstreamsFrom(containers: ContainerStatus[]): Upstream[] {
  return containers
    .filter((c) => c.processType === 'web' && !c.oneOff && c.state === 'running' && c.hostPort !== undefined && c.index !== undefined)
    .sort(byProcess)
    .map((c) => ({ processType: c.processType, containerName: containerName(c.app, c.processType, c.index!), host: '127.0.0.1', port: c.hostPort!, ...(c.extraHostPorts ? { ports: c.extraHostPorts } : {}) }));
}

export async function listContainers(docker: Docker, app: string, opts: { oneOffs?: boolean } = {}): Promise<ContainerStatus[]> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
  return found
    .map(statusFromSummary)
    .filter((c): c is ContainerStatus => c !== undefined && c.app === app && (opts.oneOffs || !c.oneOff))
    .sort(byProcess);
}

/** Docker answers 404 for a container that is already gone and 304 for one already stopped. */
export function isGone(err: unknown): boolean {
  const code = (err as { statusCode?: number } | undefined)?.statusCode;
  return code === 404 || code === 304 || (code === 409 && /removal .*in progress/i.test(String((err as Error).message)));
}

/** Without `stopTimeout` Docker waits the container's own StopTimeout. */
export async function stopContainer(docker: Docker, id: string, stopTimeout?: number): Promise<void> {
  try {
    await docker.getContainer(id).stop(stopTimeout === undefined ? {} : { t: stopTimeout });
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}
