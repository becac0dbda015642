import type Docker from 'dockerode';
import { LABEL } from '../lib/labels.ts';

/**
 * Dokku's `cleanup`: exited containers and dangling images, but only dokku's own, found by the
 * app label (a container or image without it is something else's on this host and stays).
 */

export interface CleanupContainer {
  id: string;
  state: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The containers cleanup removes: dokku's, not running, and not the current release's (a stopped
 * app's containers are what `ps:start` starts again). `current` maps an app name to its current
 * release, for every app this dokku knows; with `app`, only that app's containers are considered.
 */
export function removableContainers(containers: readonly CleanupContainer[], current: ReadonlyMap<string, number | undefined>, app?: string): string[] {
  return containers
    .filter((c) => {
      const owner = c.labels[LABEL.app];
      // An app this dokku does not know is another installation's (or another root's): left alone.
      if (owner === undefined || !current.has(owner) || (app !== undefined && owner !== app)) return false;
      if (c.state !== 'exited' && c.state !== 'dead') return false;
      if (c.labels[LABEL.oneOff] !== undefined) return true;
      const release = current.get(owner);
      return release === undefined || Number(c.labels[LABEL.release] ?? 0) !== release;
    })
    .map((c) => c.id);
}

/** Dangling images carrying dokku's app label (of `app` only, when named). */
export function removableImages(images: ReadonlyArray<{ id: string; labels: Readonly<Record<string, string>> | null }>, known: ReadonlySet<string>, app?: string): string[] {
  return images
    .filter((i) => {
      const owner = i.labels?.[LABEL.app];
      return owner !== undefined && known.has(owner) && (app === undefined || owner === app);
    })
    .map((i) => i.id);
}

export async function cleanup(docker: Docker, current: ReadonlyMap<string, number | undefined>, app?: string): Promise<{ containers: number; images: number }> {
  const label = app === undefined ? LABEL.app : `${LABEL.app}=${app}`;
  const listed = await docker.listContainers({ all: true, filters: { label: [label] } });
  const containers = removableContainers(listed.map((c) => ({ id: c.Id, state: c.State, labels: c.Labels ?? {} })), current, app);
  let removedContainers = 0;
  for (const id of containers) {
    await docker.getContainer(id).remove({ v: false }).then(() => removedContainers++, ignoreGone);
  }
  const dangling = await docker.listImages({ filters: { dangling: ['true'], label: [label] } });
  const images = removableImages(dangling.map((i) => ({ id: i.Id, labels: i.Labels })), new Set(current.keys()), app);
  let removedImages = 0;
  for (const id of images) await docker.getImage(id).remove().then(() => removedImages++, ignoreGone);
  return { containers: removedContainers, images: removedImages };
}

/** Gone already, or (an image) still used by a container: left, as Dokku's prune leaves it. */
const ignoreGone = (err: unknown): void => {
  if (![404, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
};
