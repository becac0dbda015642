import type { ContainerCreateOptions } from 'dockerode';
import { LABEL } from '../lib/labels.ts';
import { memoryBytes } from '../lib/resources.ts';
import { serviceContainerName, type ServiceKind } from '../lib/services/kind.ts';

/** What a service's container is made from: the pure half of runtime/services.ts. */

export interface ServiceSpecInput {
  id: string;
  name: string;
  password: string;
  image: string;
  memory?: string;
  shmSize?: string;
  /** Host ports (`expose`), published on every address as Dokku's plugins publish them. */
  exposed: number[];
  /** The service's host directory (`data/`, `config/` under it). */
  dir: string;
}

/** The service's own bridge: it starts there and joins each linked app's network besides. */
export const serviceNetworkName = (kind: string, name: string): string => serviceContainerName(kind, name);

export function serviceContainerSpec(kind: ServiceKind, s: ServiceSpecInput): ContainerCreateOptions {
  const instance = { name: s.name, password: s.password };
  const env = Object.entries(kind.env(instance)).map(([k, v]) => `${k}=${v}`);
  const binds = [`${s.dir}/data:${kind.dataDir}`, ...(kind.configDir ? [`${s.dir}/config:${kind.configDir}:ro`] : [])];
  const port = `${kind.port}/tcp`;
  const memory = s.memory ? memoryBytes(s.memory) : undefined;
  const shm = s.shmSize ? memoryBytes(s.shmSize) : undefined;
  return {
    name: serviceContainerName(kind.name, s.name),
    Image: s.image,
    Env: env,
    ...(kind.cmd ? { Cmd: kind.cmd(instance) } : {}),
    Labels: { [LABEL.service]: kind.name, [LABEL.serviceName]: s.name, [LABEL.serviceId]: s.id },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      Binds: binds,
      // Back after a crash or a reboot of the daemon; `stop` is the only thing that keeps it down.
      RestartPolicy: { Name: 'unless-stopped' },
      NetworkMode: serviceNetworkName(kind.name, s.name),
      ...(s.exposed.length ? { PortBindings: { [port]: [{ HostIp: '', HostPort: String(s.exposed[0]) }] } } : {}),
      ...(memory ? { Memory: memory } : {}),
      ...(shm ? { ShmSize: shm } : {}),
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}
