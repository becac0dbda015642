import Docker from 'dockerode';
import type { Settings } from '../settings.ts';

/** `unix:///path`, `tcp://host:port` (as DOCKER_HOST), or the default socket. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
}

export function connectDocker(settings: Pick<Settings, 'dockerHost'>): Docker {
  return new Docker(dockerOptions(settings.dockerHost));
}
