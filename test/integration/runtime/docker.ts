import type Docker from 'dockerode';
import { listContainers, removeContainer } from '../../../src/runtime/containers.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';

/** The daemon, or undefined outside CI without one (under CI=true a missing daemon throws here). */
export const docker = await connectDocker();

/** Unique per test file and run, so parallel files and leftovers never collide. */
export const uniqueApp = uniqueName;

export async function removeApp(d: Docker, app: string): Promise<void> {
  for (const c of await listContainers(d, app, { oneOffs: true })) await removeContainer(d, c.id);
}
