/**
 * Removing a stopped-or-running container costs Docker half a second to a second here (network
 * teardown), which a user waiting on a deploy need not wait for: after a successful build the
 * container is committed, then removed in the background while the deploy goes on. The process
 * stays alive until the removal is done (its request holds the event loop); tests and callers
 * that must see it gone await `buildContainersRemoved()`.
 */
import type Docker from 'dockerode';

const pending = new Set<Promise<void>>();

export function removeInBackground(container: Docker.Container): void {
  const removal: Promise<void> = container
    .remove({ force: true })
    .catch(() => {})
    .finally(() => pending.delete(removal));
  pending.add(removal);
}

export async function buildContainersRemoved(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}
