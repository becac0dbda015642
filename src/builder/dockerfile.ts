/**
 * The dockerfile builder: Docker builds the source archive as its context. Nothing is pulled
 * that the daemon does not already have unless the Dockerfile's FROM asks for it (and then the
 * daemon's own error says why it failed).
 */
import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { BuildError } from './errors.ts';
import { asBuildOutput, type OnLine } from '../lib/lines.ts';
import { followBuildOutput } from './progress.ts';
import { LABEL } from '../lib/labels.ts';
import { dockerignoreFilter } from './dockerignore.ts';
import { rewrittenSource, type SourceLimits } from './source.ts';
import { TAR_END } from '../lib/tar.ts';
import type { BuildPart } from '../lib/docker-options.ts';

export interface DockerfileBuildInput {
  docker: Docker;
  app: string;
  /** Tar (or tar.gz) of the source, with the Dockerfile at its root. */
  sourceTar: string;
  /** Content of the source's .dockerignore, if any. */
  dockerignore?: string;
  imageTag: string;
  limits?: SourceLimits;
  /** No Procfile names a web command: the image must have a CMD or ENTRYPOINT to run. */
  needsCommand?: boolean;
  /** Build-phase docker options: build args (a Dockerfile sees only those it declares with ARG), labels, shm size, extra hosts. */
  options?: BuildPart;
  onLine: OnLine;
}

export async function buildDockerfile(input: DockerfileBuildInput): Promise<{ imageId: string; exposedPorts: number[] }> {
  const context =
    input.dockerignore === undefined
      ? createReadStream(input.sourceTar)
      : Readable.from(withEnd(rewrittenSource(input.sourceTar, { keep: dockerignoreFilter(input.dockerignore), ...(input.limits ? { limits: input.limits } : {}) })));
  let response: NodeJS.ReadableStream;
  const o = input.options;
  try {
    response = await input.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: input.imageTag,
      rm: true,
      forcerm: true,
      labels: { ...(o?.labels ?? {}), [LABEL.app]: input.app, [LABEL.builder]: 'dockerfile' },
      ...(o && Object.keys(o.buildArgs).length ? { buildargs: o.buildArgs } : {}),
      ...(o?.shmSize ? { shmsize: o.shmSize } : {}),
      ...(o?.extraHosts.length ? { extrahosts: o.extraHosts.join(',') } : {}),
    });
  } catch (err) {
    context.on('error', () => {}).destroy(); // not read: its late open must not fail once the source is gone
    // The daemon refuses a Dockerfile it cannot parse (`FROMM`) before the build starts: HTTP 400/500.
    if (err instanceof BuildError) throw err;
    const status = (err as { statusCode?: number }).statusCode;
    if (status === undefined) throw err;
    throw new BuildError('dockerfile', `Dockerfile build failed: ${daemonMessage(err)}`);
  }
  const error = await followBuildOutput(response, (l) => input.onLine(asBuildOutput(l)));
  if (error) throw new BuildError('dockerfile', `Dockerfile build failed: ${error.trim()}`);
  const image = await input.docker.getImage(input.imageTag).inspect();
  if (input.needsCommand && !image.Config?.Cmd?.length && !image.Config?.Entrypoint?.length) {
    await input.docker.getImage(input.imageTag).remove({ force: true }).catch(() => {});
    throw new BuildError('dockerfile', 'The Dockerfile has no CMD or ENTRYPOINT, and no Procfile names a web command: there is nothing to run');
  }
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

/** The first line of what the daemon said, without dockerode's "(HTTP code 400) unexpected - " lead. */
function daemonMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  const text = json?.message ?? (err as Error).message ?? String(err);
  return text.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '').split('\n')[0]!.trim();
}

/**
 * `ADD` instructions whose source is a URL (the daemon fetches those itself, from the host's
 * network): their sources, in order. Continuation lines are joined; flags (`--chown=…`) skipped;
 * the JSON form is read too.
 */
export function remoteAdds(dockerfile: string): string[] {
  const found: string[] = [];
  // Either escape character (`\\`, or a backtick after `# escape=\``) continues a line; comments do not.
  const logical: string[] = [];
  let pending = '';
  for (const raw of dockerfile.split(/\r?\n/)) {
    if (pending === '' && /^\s*#/.test(raw)) continue;
    const cont = /[\\`]\s*$/.exec(raw);
    pending += cont ? `${raw.slice(0, cont.index)} ` : raw;
    if (!cont) {
      logical.push(pending);
      pending = '';
    }
  }
  if (pending) logical.push(pending);
  for (const line of logical) {
    const m = /^\s*ADD\s+(.*)$/i.exec(line);
    if (!m) continue;
    let rest = m[1]!.trim();
    while (/^--\S+/.test(rest)) rest = rest.replace(/^--\S+\s*/, '');
    let words: string[];
    if (rest.startsWith('[')) {
      try {
        words = (JSON.parse(rest) as unknown[]).map(String);
      } catch {
        words = rest.split(/\s+/);
      }
    } else words = rest.split(/\s+/).filter(Boolean);
    const sources = words.slice(0, -1);
    for (const src of sources) if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || /^git@/i.test(src)) found.push(src);
  }
  return found;
}

async function* withEnd(entries: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* entries;
  yield TAR_END;
}
