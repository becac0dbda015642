/**
 * app.json's `scripts.dokku.predeploy`, Dokku's semantic: the command runs in a container of the
 * freshly built image, and what it leaves on the filesystem is committed back to that image
 * (assets compiled, files generated) before any container of the release starts.
 *
 * The app's config reaches the command through the exec's environment only, so no value ends up
 * in the committed image; the image keeps its own entrypoint, command, user and environment.
 */
import type Docker from 'dockerode';
import { buildContainerName } from './cleanup.ts';
import { BuildError } from './errors.ts';
import { commitContainer, execCapture } from './exec.ts';
import { asBuildOutput, type OnLine } from '../lib/lines.ts';

export async function runPredeploy(
  docker: Docker,
  image: string,
  command: string,
  env: Record<string, string>,
  onLine: OnLine,
): Promise<string> {
  const config = (await docker.getImage(image).inspect()).Config;
  const entrypoint = config?.Entrypoint ?? [];
  const container = await docker.createContainer({
    name: buildContainerName(/^dokku\/([a-z0-9-]+):/.exec(image)?.[1] ?? 'predeploy'),
    Image: image,
    // Kept alive while the command runs by exec, so the command's environment is not the container's.
    Entrypoint: ['sleep'],
    Cmd: ['86400'],
    // Labels of the container end up on the committed image too: only the image's own.
    Labels: config?.Labels ?? {},
  });
  try {
    await container.start();
    // Through the image's entrypoint, as the app's processes run (a buildpack image's entrypoint
    // sources .profile.d, so the command finds the app's runtime on PATH).
    const cmd = [...(Array.isArray(entrypoint) ? entrypoint : [entrypoint]), '/bin/sh', '-c', command];
    const res = await execCapture(container, cmd, { env }, (l) => onLine(asBuildOutput(l)));
    if (res.exitCode !== 0) throw new BuildError('predeploy', `The predeploy command failed with exit code ${res.exitCode}: ${command}`);
    return await commitContainer(container, image, {
      Entrypoint: entrypoint,
      Cmd: config?.Cmd ?? [],
      Env: config?.Env ?? [],
      User: config?.User ?? '',
      WorkingDir: config?.WorkingDir ?? '',
      Labels: config?.Labels ?? {},
      ExposedPorts: config?.ExposedPorts ?? {},
    });
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
