import type Docker from 'dockerode';
import { UserError } from './errors.ts';
import type { Settings } from './settings.ts';

/**
 * The Docker handle, loaded on first use: most commands never touch Docker, and dockerode's
 * import cost would otherwise land on every `apps:list`.
 */
export async function connectDocker(settings: Settings): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  const host = settings.dockerHost;
  let docker: Docker;
  if (!host) docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
  else if (host.startsWith('unix://')) docker = new Dockerode({ socketPath: host.slice('unix://'.length) });
  else {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    docker = new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
  }
  try {
    await docker.ping();
  } catch (err) {
    throw new UserError(`Docker is not reachable (${host ?? 'unix:///var/run/docker.sock'}): ${(err as Error).message}`);
  }
  return docker;
}
