/** `dokku/app:build-3` → repo `dokku/app`, tag `build-3`; no tag means `latest`. A registry port is not a tag. */
export function splitImageRef(image: string): { repo: string; tag: string } {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: 'latest' };
}
