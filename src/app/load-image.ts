import { loadExeca } from '../lib/execa.ts';
import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';
import { splitImageRef } from '../builder/image-ref.ts';
import { refuseForeignImage } from './image-access.ts';
import type { Context } from './context.ts';

/** `busybox` and `busybox:latest` are the same tag; a digest is not a tag. */
export const normalTag = (ref: string): string => {
  const { repo, tag } = splitImageRef(ref);
  return `${repo.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '')}:${tag}`;
};

/** The tags a `docker save` archive's manifest.json gives its images. Pure. */
export function manifestTags(manifestJson: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestJson);
  } catch {
    throw new UserError('The image archive has no readable manifest.json: send the output of docker save');
  }
  if (!Array.isArray(parsed)) throw new UserError('The image archive has no readable manifest.json: send the output of docker save');
  return parsed.flatMap((m) => (Array.isArray((m as { RepoTags?: unknown }).RepoTags) ? ((m as { RepoTags: unknown[] }).RepoTags.filter((t) => typeof t === 'string') as string[]) : []));
}

/**
 * Checks a `docker save` tar before `docker load`: it must tag IMAGE, and for a tenant no tag it
 * carries may name or replace another app's image (the same rule as git:from-image).
 */
export async function checkImageArchive(ctx: Context, app: string, image: string, tarPath: string): Promise<void> {
  const r = await (await loadExeca())('tar', ['-xOf', tarPath, 'manifest.json'], { reject: false, stdin: 'ignore', maxBuffer: 16 * 1024 * 1024 });
  if (r.exitCode !== 0) throw new UserError('The image archive has no readable manifest.json: send the output of docker save');
  const tags = manifestTags(r.stdout);
  if (!tags.map(normalTag).includes(normalTag(image))) {
    throw new UserError(`The image archive does not hold ${printable(image)} (it holds ${tags.length ? tags.map(printable).join(', ') : 'no tagged image'})`);
  }
  for (const tag of tags) await refuseForeignImage(ctx, 'git:load-image', app, tag);
}
