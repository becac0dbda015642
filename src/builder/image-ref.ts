import { LABEL } from '../lib/labels.ts';

/** `dokku/app:build-3` → repo `dokku/app`, tag `build-3`; no tag means `latest`. A registry port is not a tag. */
export function splitImageRef(image: string): { repo: string; tag: string } {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: 'latest' };
}

/** The repository an image reference names, without registry `docker.io/`, tag or digest. */
export function imageRepository(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const repo = splitImageRef(noDigest).repo;
  return repo.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
}


/** What a local image says about itself, from `docker image inspect`. */
export interface ImageFacts {
  id: string;
  repoTags: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/**
 * The app names that claim an image: `dokku/<name>` repositories (dokku's own, from the reference
 * and from every tag the image has) and the app label builds set. Pure.
 */
export function imageClaims(ref: string, facts: ImageFacts | undefined): string[] {
  const claims = new Set<string>();
  for (const r of [ref, ...(facts?.repoTags ?? [])]) {
    const repo = imageRepository(r);
    if (repo.startsWith('dokku/')) claims.add(repo.slice('dokku/'.length));
  }
  const label = facts?.labels[LABEL.app];
  if (label) claims.add(label);
  return [...claims].sort();
}
