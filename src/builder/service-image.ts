/**
 * The images of the built-in services, made offline like the stack: FROM the stack's imported
 * Debian root, with Debian's server packages installed by apt. A tag that exists is reused; one
 * build per image at a time on the host.
 */
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detail, step, type OnLine } from '../lib/lines.ts';
import { withLock } from '../lib/lock.ts';
import { LABEL } from '../lib/labels.ts';
import type { ServiceKind } from '../lib/services/kind.ts';
import { file, writeTar } from '../lib/tar.ts';
import { BuildError } from './errors.ts';
import { followBuildOutput } from './progress.ts';
import { ensureStack, imageId, stackBaseTag } from './stack.ts';

export interface ServiceImageOptions {
  /** The stack image whose imported base the service image starts from. */
  stackImage: string;
  onLine: OnLine;
  caBundle?: string;
  force?: boolean;
}

/** The image `ref` exists afterwards: dokku's own kind image is built when missing, any other must be on the host. */
export async function ensureServiceImage(docker: Docker, kind: ServiceKind, ref: string, opts: ServiceImageOptions): Promise<string> {
  const own = `${kind.image.repo}:${kind.image.version}`;
  const { dockerfile, files } = kind.imageBuild(stackBaseTag(opts.stackImage));
  // dokku's own image is made again when its definition changed since it was built.
  const revision = createHash('sha256').update(dockerfile).update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const current = async () => {
    const id = opts.force ? undefined : await imageId(docker, ref);
    if (!id || ref !== own) return id;
    const labels = (await docker.getImage(ref).inspect()).Config?.Labels ?? {};
    return labels[LABEL.serviceBuild] === revision ? id : undefined;
  };
  const existing = await current();
  if (existing) return existing;
  if (ref !== own) {
    if (ref.startsWith(`${kind.image.repo}:`)) throw new BuildError('service', `${ref} is not on this host: dokku builds ${own} from Debian's packages; load another version with docker load`);
    throw new BuildError('service', `Image ${ref} is not on this host (no registry is reachable: load it with docker load)`);
  }
  const lockName = `dokku-image-${createHash('sha256').update(ref).digest('hex').slice(0, 16)}.pid.lock`;
  const waiting = { actor: `a build of ${ref}`, onWait: () => opts.onLine(step(`Waiting for another build of ${ref} to finish`)) };
  return withLock(join(tmpdir(), lockName), waiting, async () => {
    const again = await current();
    if (again) return again;
    await ensureStack(docker, { image: opts.stackImage, onLine: opts.onLine, caBundle: opts.caBundle });
    const started = performance.now();
    const context = writeTar([file('Dockerfile', dockerfile), ...Object.entries(files).map(([path, f]) => file(path, f.text, f.mode))]);
    opts.onLine(step(`Building ${ref} from Debian's packages`));
    const response = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: ref, rm: true, forcerm: true, labels: { [LABEL.service]: kind.name, [LABEL.serviceBuild]: revision } });
    const error = await followBuildOutput(response, (l) => opts.onLine(detail(l)));
    if (error) throw new BuildError('service', `Building ${ref} failed: ${error}`);
    const id = await imageId(docker, ref);
    if (!id) throw new BuildError('service', `Building ${ref} produced no image`);
    opts.onLine(step(`Image ${ref} ready in ${Math.round((performance.now() - started) / 100) / 10}s`));
    return id;
  });
}
