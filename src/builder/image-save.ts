/**
 * `docker save` of one image into a file, through the engine's API (no docker CLI): what the
 * platform backup keeps of an app deployed from an image, loaded again with `loadImageArchive`.
 */
import type Docker from 'dockerode';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** Writes the image (`ref`: a tag, so the archive carries it) as a `docker save` tar to `path` (0600). */
export async function saveImageArchive(docker: Docker, ref: string, path: string): Promise<void> {
  const stream = (await docker.getImage(ref).get()) as NodeJS.ReadableStream;
  await pipeline(stream, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
}
