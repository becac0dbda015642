import type Docker from 'dockerode';
import { connectDocker } from '../../../src/runtime/docker-client.ts';
import { loadSettings } from '../../../src/settings.ts';
import { listContainers, removeContainer } from '../../../src/runtime/containers.ts';

/**
 * The daemon for integration tests. Without one, the suite is skipped on a workstation and fails
 * under CI=true, where Docker is part of the contract.
 */
export async function dockerForTests(): Promise<Docker | undefined> {
  const docker = connectDocker(loadSettings());
  try {
    await docker.ping();
    return docker;
  } catch (err) {
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`Docker is required under CI and does not answer: ${(err as Error).message}`);
    return undefined;
  }
}

/** Top-level await in a test file: skip the file's suites only outside CI. */
export const docker = await dockerForTests();

/** Unique per test file and run, so parallel files and leftovers never collide. */
export function uniqueApp(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
}

export async function removeApp(d: Docker, app: string): Promise<void> {
  for (const c of await listContainers(d, app, { oneOffs: true })) await removeContainer(d, c.id);
}
