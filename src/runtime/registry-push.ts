import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { repositoryOf } from '../lib/registry-ref.ts';

/** Moving a release image through the registry: push once after the build, pull where it is missing. */

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface RegistryTarget {
  /** `HOST:PORT` */
  server: string;
  auth?: RegistryAuth;
}

interface ProgressEvent {
  status?: string;
  error?: string;
  aux?: { Digest?: string };
}

const authconfig = (target: RegistryTarget) => (target.auth ? { username: target.auth.username, password: target.auth.password, serveraddress: target.server } : undefined);

function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: ProgressEvent[]) => (err ? reject(err) : resolve(events ?? [])));
  });
}


/**
 * Tags the local image as `<server>/dokku/<app>:v<version>`, pushes it, and returns the digest
 * reference every node pulls (`<server>/dokku/<app>@sha256:…`).
 */
export async function pushImage(docker: Docker, target: RegistryTarget, app: string, image: string, version: number): Promise<string> {
  const repo = repositoryOf(target.server, app);
  const tag = `v${version}`;
  await docker.getImage(image).tag({ repo, tag });
  const auth = authconfig(target);
  // The engine wants an X-Registry-Auth header even for a registry without logins: `{}` then.
  const stream = (await docker.getImage(`${repo}:${tag}`).push({ authconfig: auth ?? {} })) as unknown as NodeJS.ReadableStream;
  const events = await follow(docker, stream);
  const failed = events.find((e) => e.error);
  if (failed) throw new UserError(`Pushing ${repo}:${tag} failed: ${failed.error}`);
  const digest = events.map((e) => e.aux?.Digest).find((d): d is string => typeof d === 'string' && d.startsWith('sha256:'));
  if (!digest) throw new UserError(`Pushing ${repo}:${tag} gave no digest`);
  return `${repo}@${digest}`;
}

/** The image exists on this engine, pulled from the registry if it was pruned here. */
export async function ensureImage(docker: Docker, reference: string, auth?: RegistryAuth): Promise<void> {
  const present = await docker.getImage(reference).inspect().then(() => true, () => false);
  if (present) return;
  const server = reference.split('/')[0]!;
  const config = auth ? { username: auth.username, password: auth.password, serveraddress: server } : undefined;
  const stream = (await docker.pull(reference, { authconfig: config ?? {} })) as unknown as NodeJS.ReadableStream;
  const failed = (await follow(docker, stream)).find((e) => e.error);
  if (failed) throw new UserError(`Pulling ${reference} failed: ${failed.error}`);
}
