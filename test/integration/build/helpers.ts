import type Docker from 'dockerode';
import { buildContainersRemoved } from '../../../src/builder/cleanup.ts';
import { ensureStack } from '../../../src/builder/stack.ts';
import { loadSettings, type Settings } from '../../../src/lib/settings.ts';

export const settings: Settings = loadSettings();
export const FIXTURES = new URL('../../fixtures/apps/', import.meta.url).pathname;

/** The stack image, built once per machine (about a minute) and reused by every later run. */
export async function stackForTests(docker: Docker): Promise<string> {
  const started = performance.now();
  const result = await ensureStack(docker, {
    image: settings.stackImage,
    caBundle: settings.caBundle,
    onLine: (line) => console.log(`[stack] ${line}`),
  });
  if (result.built) console.log(`[stack] built ${result.image} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return result.image;
}

export interface Served {
  url: string;
  container: Docker.Container;
  logs(): Promise<string>;
}

/**
 * Starts a container of `image` the way the runtime runs a web process: the Procfile command
 * through `sh -c` (or the image's own CMD when empty), PORT set, published on loopback.
 */
export async function serve(docker: Docker, image: string, opts: { app: string; command?: string; port?: number; env?: Record<string, string> }): Promise<Served> {
  const port = opts.port ?? 5000;
  const env = { PORT: String(port), ...(opts.env ?? {}) };
  const container = await docker.createContainer({
    Image: image,
    ...(opts.command ? { Cmd: ['/bin/sh', '-c', opts.command] } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { 'com.dokku.app': opts.app },
    ExposedPorts: { [`${port}/tcp`]: {} },
    HostConfig: { PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  const info = await container.inspect();
  const hostPort = info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
  return {
    url: `http://127.0.0.1:${hostPort}/`,
    container,
    logs: async () => (await container.logs({ stdout: true, stderr: true })).toString('utf8'),
  };
}

/** GETs `url` until it answers 200 (the app may still be starting), within `timeoutMs`. */
export async function fetchBody(url: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.ok) return body;
      last = new Error(`HTTP ${res.status}: ${body}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer: ${(last as Error)?.message}`);
}

/** Everything a test made for `app`: containers, images, the cache volume. */
export async function removeApp(docker: Docker, app: string): Promise<void> {
  await buildContainersRemoved();
  const containers = await docker.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  const images = await docker.listImages({ filters: { label: [`com.dokku.app=${app}`] } });
  for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
  await docker.getVolume(`dokku-cache-${app}`).remove().catch(() => {});
}

/** What is left of `app` on the daemon: for asserting that a test cleaned up, or a failure did. */
export async function leftovers(docker: Docker, app: string): Promise<{ containers: number; images: number; volume: boolean }> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } });
  const images = await docker.listImages({ filters: { label: [`com.dokku.app=${app}`] } });
  const volume = await docker
    .getVolume(`dokku-cache-${app}`)
    .inspect()
    .then(() => true)
    .catch(() => false);
  return { containers: containers.length, images: images.length, volume };
}
