import type Docker from 'dockerode';
import type { Settings } from './settings.ts';

/** `unix:///path`, `tcp://host:port` (as DOCKER_HOST), or the default socket. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
}

/** dockerode (and ssh2, protobufjs behind it) loads here, on first use, not at every command's start. */
export async function connectDocker(settings: Pick<Settings, 'dockerHost'>): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  return new Dockerode(dockerOptions(settings.dockerHost));
}
