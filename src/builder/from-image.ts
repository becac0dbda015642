/**
 * `git:from-image`: an image already on this Docker host becomes the app's build. Nothing is
 * pulled. Its Procfile and app.json, if any, are read from the image's working directory, as
 * Dokku does.
 */
import type Docker from 'dockerode';
import type { AppJson, BuildResult, ProcessTypes } from '../lib/types.ts';
import { parseAppJson } from './app-json.ts';
import { exposedTcpPorts } from './dockerfile.ts';
import { BuildError } from './errors.ts';
import { splitImageRef, type ImageFacts } from './image-ref.ts';
import { step, type OnLine } from '../lib/lines.ts';
import { parseProcfile } from './procfile.ts';
import { readTar } from '../lib/tar.ts';
import type { BuildFilePaths } from './source.ts';

export interface FromImageInput {
  docker: Docker;
  app: string;
  image: string;
  imageTag: string;
  /** Build files a setting moved (appjson-path), relative to the image's working directory. */
  filePaths?: BuildFilePaths;
  onLine: OnLine;
}

export async function buildFromImage(input: FromImageInput): Promise<BuildResult> {
  const started = performance.now();
  const { docker, onLine } = input;
  let info;
  try {
    info = await docker.getImage(input.image).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new BuildError('source', `Image ${input.image} is not on this Docker host (images are never pulled): docker load it first`);
    }
    throw err;
  }
  onLine(step(`Using image ${input.image} (${info.Id.slice(7, 19)})`));
  const dir = info.Config?.WorkingDir || '/';
  const procfileText = await readImageFile(docker, info.Id, `${dir.replace(/\/$/, '')}/Procfile`);
  const appJsonText = await readImageFile(docker, info.Id, `${dir.replace(/\/$/, '')}/${input.filePaths?.['app.json'] || 'app.json'}`);
  const processTypes: ProcessTypes = procfileText !== undefined ? parseProcfile(procfileText) : { web: '' };
  const appJson: AppJson = appJsonText !== undefined ? parseAppJson(appJsonText) : { healthchecks: {} };
  // Tagged last (by id, the image that was inspected), so a bad Procfile or app.json leaves no build tag.
  if (input.imageTag !== input.image) {
    const { repo, tag } = splitImageRef(input.imageTag);
    await docker.getImage(info.Id).tag({ repo, tag });
  }
  return {
    imageId: info.Id,
    imageTag: input.imageTag,
    builder: 'image',
    processTypes,
    exposedPorts: exposedTcpPorts(info.Config?.ExposedPorts),
    appJson,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

/** A regular file's content from an image, through a container that is created but never started. */
export async function readImageFile(docker: Docker, image: string, path: string): Promise<string | undefined> {
  const container = await docker.createContainer({ Image: image, Entrypoint: ['/nonexistent'], Cmd: [] });
  try {
    const stream = await container.getArchive({ path });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const entry = readTar(Buffer.concat(chunks)).find((e) => e.type === 'file');
    return entry?.data?.toString('utf8');
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** An image's id, tags and labels if it is on this Docker host; undefined if it is not. */
export async function inspectLocalImage(docker: Docker, ref: string): Promise<ImageFacts | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, repoTags: info.RepoTags ?? [], labels: (info.Config?.Labels as Record<string, string> | null | undefined) ?? {} };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** `docker load` of a `docker save` tar; a daemon error is one line. */
export async function loadImageArchive(docker: Docker, path: string): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const stream = (await docker.loadImage(createReadStream(path), { quiet: true })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const failed = text.split('\n').map((l) => { try { return JSON.parse(l) as { error?: string }; } catch { return {}; } }).find((m) => m.error);
  if (failed?.error) throw new BuildError('source', `docker load failed: ${failed.error.split('\n')[0]}`);
}
