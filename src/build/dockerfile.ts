/**
 * The dockerfile builder: Docker builds the source archive as its context. Nothing is pulled
 * that the daemon does not already have unless the Dockerfile's FROM asks for it (and then the
 * daemon's own error says why it failed).
 */
import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { BuildError } from './errors.ts';
import { asBuildOutput, LineSplitter, type OnLine } from './lines.ts';
import { followJsonStream } from './progress.ts';
import { LABEL_APP } from './buildpacks.ts';
import { dockerignoreFilter } from './dockerignore.ts';
import { rewrittenSource } from './source.ts';
import { TAR_END } from './tar.ts';

export interface DockerfileBuildInput {
  docker: Docker;
  app: string;
  /** Tar (or tar.gz) of the source, with the Dockerfile at its root. */
  sourceTar: string;
  /** Content of the source's .dockerignore, if any. */
  dockerignore?: string;
  imageTag: string;
  /** Passed as build args; a Dockerfile sees only those it declares with ARG. */
  buildArgs?: Record<string, string>;
  onLine: OnLine;
}

export async function buildDockerfile(input: DockerfileBuildInput): Promise<{ imageId: string; exposedPorts: number[] }> {
  const context =
    input.dockerignore === undefined
      ? createReadStream(input.sourceTar)
      : Readable.from(withEnd(rewrittenSource(input.sourceTar, { keep: dockerignoreFilter(input.dockerignore) })));
  const response = await input.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: input.imageTag,
    rm: true,
    forcerm: true,
    labels: { [LABEL_APP]: input.app, 'com.dokku.builder': 'dockerfile' },
    ...(input.buildArgs && Object.keys(input.buildArgs).length ? { buildargs: input.buildArgs } : {}),
  });
  let error: string | undefined;
  const lines = new LineSplitter((l) => input.onLine(asBuildOutput(l)));
  await followJsonStream(response, (m) => {
    if (m.stream) lines.push(m.stream);
    if (m.error) error = m.errorDetail?.message ?? m.error;
  });
  lines.flush();
  if (error) throw new BuildError('dockerfile', `Dockerfile build failed: ${error.trim()}`);
  const image = await input.docker.getImage(input.imageTag).inspect();
  return { imageId: image.Id, exposedPorts: exposedTcpPorts(image.Config?.ExposedPorts) };
}

/** `{"5000/tcp": {}, "53/udp": {}, "8080": {}}` → [5000, 8080]: tcp only (no protocol means tcp). */
export function exposedTcpPorts(exposed: Record<string, unknown> | null | undefined): number[] {
  const ports = Object.keys(exposed ?? {})
    .map((key) => /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null && (m[2] ?? 'tcp') === 'tcp')
    .map((m) => Number(m[1]))
    .filter((p) => p > 0 && p <= 65535);
  return [...new Set(ports)].sort((a, b) => a - b);
}

async function* withEnd(entries: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* entries;
  yield TAR_END;
}
