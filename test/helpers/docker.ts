import Docker from 'dockerode';

/**
 * Connects to the Docker daemon for an integration test. Without a daemon the test is skipped
 * locally, but in CI (CI=true) a missing daemon is a failure: those tests must run there.
 */
export async function connectDocker(): Promise<Docker | undefined> {
  const docker = process.env.DOCKER_HOST ? new Docker() : new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    await docker.ping();
    return docker;
  } catch (err) {
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`Docker is not reachable and CI=true, so Docker tests cannot be skipped: ${(err as Error).message}`);
    }
    console.warn(`Docker is not reachable (${(err as Error).message}); skipping Docker tests`);
    return undefined;
  }
}

/** A name no other test file or earlier run uses: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
