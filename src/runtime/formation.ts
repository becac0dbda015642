import type { Formation, ReleaseSpec } from '../lib/types.ts';

/**
 * Which containers should exist, and what to add or remove to get there: pure arithmetic over
 * process types and counts, shared by deploy and scale.
 */

/** Runs once per release before traffic switches; never a long-running container. */
export const RELEASE_PHASE = 'release';

export interface Slot {
  processType: string;
  index: number;
}

export interface DesiredProcesses {
  /** Process type → count, only types the release defines (web defaults to 1, others to 0). */
  counts: Formation;
  /** Types the formation names but the release does not define: nothing to run for them. */
  unknown: string[];
}

/** The release's long-running process types; an image without a Procfile runs its CMD as web. */
export function runnableTypes(release: ReleaseSpec): string[] {
  const types = Object.keys(release.processTypes).filter((t) => t !== RELEASE_PHASE);
  return types.length > 0 ? types : ['web'];
}

export function desiredProcesses(release: ReleaseSpec, formation: Formation): DesiredProcesses {
  const types = runnableTypes(release);
  const counts: Formation = {};
  for (const type of types) counts[type] = Math.max(0, Math.floor(formation[type] ?? (type === 'web' ? 1 : 0)));
  const unknown = Object.keys(formation).filter((t) => t !== RELEASE_PHASE && !types.includes(t) && (formation[t] ?? 0) > 0);
  return { counts, unknown };
}

/** `web=2 worker=1` → web.1, web.2, worker.1. */
export function slotsFor(counts: Formation): Slot[] {
  return Object.entries(counts).flatMap(([processType, n]) =>
    Array.from({ length: n }, (_, i) => ({ processType, index: i + 1 })),
  );
}

export interface ScalePlan<C extends Slot> {
  add: Slot[];
  remove: C[];
}

/**
 * Keep what fits (`index <= count`), add the missing indexes, remove the rest (highest indexes go
 * first on scale-down, as on Heroku). A duplicate of a kept slot is removed too.
 */
export function planScale<C extends Slot>(existing: C[], counts: Formation): ScalePlan<C> {
  const kept = new Set<string>();
  const remove: C[] = [];
  for (const c of existing) {
    const key = `${c.processType}.${c.index}`;
    if (c.index <= (counts[c.processType] ?? 0) && !kept.has(key)) kept.add(key);
    else remove.push(c);
  }
  const add = slotsFor(counts).filter((s) => !kept.has(`${s.processType}.${s.index}`));
  return { add, remove };
}

/** `web=2 worker=0` */
export function describeFormation(counts: Formation): string {
  return Object.entries(counts).map(([t, n]) => `${t}=${n}`).join(' ');
}
