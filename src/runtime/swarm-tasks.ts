import type { Upstream } from '../lib/types.ts';
import { LABEL } from '../lib/labels.ts';
import { containerName } from './container-spec.ts';
import type { ContainerState, ContainerStatus } from './scheduler.ts';

/**
 * Reading a swarm app back from the engine: its services (by label) and their tasks, as the
 * statuses and upstreams the rest of dokku knows from docker-local. Pure.
 */

export interface SwarmService {
  id: string;
  name: string;
  app: string;
  processType: string;
  release: number;
  /** Replicas it runs now (0 after `ps:stop`) and the ones it runs when started. */
  replicas: number;
  wanted: number;
  webPort: number | undefined;
  createdAt: string;
  /** The engine's version of the spec: an update must name it. */
  version: number;
  spec: Record<string, unknown>;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot: number;
  nodeId: string;
  state: string;
  desired: string;
  error: string | undefined;
  exitCode: number | undefined;
  containerId: string | undefined;
  /** Published host ports by target port. */
  ports: Record<string, number>;
  createdAt: string;
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function serviceFrom(raw: Raw): SwarmService | undefined {
  const labels: Record<string, string> = raw.Spec?.Labels ?? {};
  const app = labels[LABEL.app];
  const processType = labels[LABEL.processType];
  if (!app || !processType) return undefined;
  return {
    id: raw.ID,
    name: raw.Spec?.Name ?? raw.ID,
    app,
    processType,
    release: Number(labels[LABEL.release] ?? 0),
    replicas: Number(raw.Spec?.Mode?.Replicated?.Replicas ?? 0),
    wanted: Number(labels[LABEL.replicas] ?? raw.Spec?.Mode?.Replicated?.Replicas ?? 0),
    webPort: labels[LABEL.webPort] ? Number(labels[LABEL.webPort]) : undefined,
    createdAt: raw.CreatedAt ?? '',
    version: Number(raw.Version?.Index ?? 0),
    spec: raw.Spec ?? {},
  };
}

export function taskFrom(raw: Raw): SwarmTask {
  const ports: Record<string, number> = {};
  // An engine with IPv6 lists each port twice, IPv4 first, and its two counters may drift apart:
  // nginx and the checks connect over IPv4, so the first one is the port.
  for (const p of raw.Status?.PortStatus?.Ports ?? []) if (p.PublishedPort && ports[String(p.TargetPort)] === undefined) ports[String(p.TargetPort)] = p.PublishedPort;
  const cs = raw.Status?.ContainerStatus;
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    slot: Number(raw.Slot ?? 0),
    nodeId: raw.NodeID ?? '',
    state: raw.Status?.State ?? 'new',
    desired: raw.DesiredState ?? '',
    error: raw.Status?.Err || undefined,
    exitCode: cs?.ExitCode === undefined || raw.Status?.State === 'running' ? undefined : Number(cs.ExitCode),
    containerId: cs?.ContainerID || undefined,
    ports,
    createdAt: raw.CreatedAt ?? '',
  };
}

/** A node's address other nodes (and nginx) reach it on; a manager may report 0.0.0.0 there. */
export function nodeAddress(raw: Raw): string {
  const addr: string = raw.Status?.Addr ?? '';
  if (addr && addr !== '0.0.0.0') return addr;
  const manager: string = raw.ManagerStatus?.Addr ?? '';
  return manager.replace(/:\d+$/, '');
}

const FAILED = new Set(['failed', 'rejected', 'orphaned']);
export const taskFailed = (t: SwarmTask): boolean => FAILED.has(t.state);
/** A task the service wants running: the ones the engine shut down or replaced are history. */
export const taskCurrent = (t: SwarmTask): boolean => t.desired === 'running' || t.desired === 'ready';
export const taskRunning = (t: SwarmTask): boolean => t.state === 'running' && taskCurrent(t);

function stateOf(t: SwarmTask): ContainerState {
  if (t.state === 'running') return 'running';
  if (t.state === 'complete' || t.state === 'shutdown') return 'exited';
  if (FAILED.has(t.state) || t.state === 'remove') return 'dead';
  return 'created';
}

export function taskStatus(t: SwarmTask, s: SwarmService, nodeAddr: string): ContainerStatus {
  const port = s.webPort === undefined ? undefined : t.ports[String(s.webPort)];
  const extra = Object.fromEntries(Object.entries(t.ports).filter(([target]) => Number(target) !== s.webPort));
  return {
    id: t.id,
    name: containerName(s.app, s.processType, t.slot),
    app: s.app,
    processType: s.processType,
    index: t.slot,
    release: s.release,
    state: stateOf(t),
    hostPort: port,
    ...(Object.keys(extra).length ? { extraHostPorts: extra } : {}),
    host: nodeAddr,
    oneOff: false,
    ...(t.createdAt ? { created: Math.floor(Date.parse(t.createdAt) / 1000) } : {}),
  };
}

/** Running web tasks of one service, as nginx should see them: node address and published port. */
export function taskUpstreams(s: SwarmService, tasks: SwarmTask[], addrOf: (nodeId: string) => string): Upstream[] {
  return tasks
    .filter((t) => t.serviceId === s.id && taskRunning(t) && s.webPort !== undefined && t.ports[String(s.webPort)] !== undefined && addrOf(t.nodeId) !== '')
    .sort((a, b) => a.slot - b.slot)
    .map((t) => {
      const extra = Object.fromEntries(Object.entries(t.ports).filter(([target]) => Number(target) !== s.webPort));
      return {
        processType: s.processType,
        containerName: containerName(s.app, s.processType, t.slot),
        host: addrOf(t.nodeId),
        port: t.ports[String(s.webPort)]!,
        ...(Object.keys(extra).length ? { ports: extra } : {}),
      };
    });
}

/** The web service serving now: the newest one (older ones are waiting out `wait-to-retire`). */
export function servingService(services: SwarmService[], processType = 'web'): SwarmService | undefined {
  return services.filter((s) => s.processType === processType).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))[0];
}
