import Docker from 'dockerode';
import { demuxBufferLines } from '../../src/lib/log-frames.ts';

/**
 * Connects to the Docker daemon for an integration test. These tests exist to exercise the real
 * engine, so without a daemon they fail (never skip), locally as in CI.
 */
export async function connectDocker(): Promise<Docker> {
  const docker = process.env.DOCKER_HOST ? new Docker() : new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    await docker.ping();
    return docker;
  } catch (err) {
    throw new Error(`Docker is not reachable, and the integration tests need it (apt-get install docker.io; dockerd): ${(err as Error).message}`);
  }
}

/** A name no other test file or earlier run uses: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs `command` in a throwaway container of `image` (labelled for `app`) and returns its output. */
export async function runInImage(docker: Docker, image: string, app: string, command: string): Promise<string> {
  const c = await docker.createContainer({ Image: image, Cmd: ['/bin/sh', '-c', command], Labels: { 'com.dokku.app': app } });
  try {
    await c.start();
    await c.wait();
    return demuxBufferLines(await c.logs({ stdout: true, stderr: true }))
      .map(({ line }) => `${line}\n`)
      .join('');
  } finally {
    await c.remove({ force: true });
  }
}

/**
 * A crash: the container's main process killed from the host (SIGKILL), then waits until Docker's
 * restart policy has it running again (`docker kill` would count as a stop to Docker).
 */
export async function crashAndWaitRestart(docker: Docker, name: string, ms = 30_000): Promise<void> {
  const container = docker.getContainer(name);
  const before = await container.inspect();
  process.kill(before.State.Pid, 'SIGKILL');
  const end = Date.now() + ms;
  for (;;) {
    const c = await container.inspect();
    if (c.State.Running && c.RestartCount > before.RestartCount) return;
    if (Date.now() > end) throw new Error(`${name} was not restarted within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
