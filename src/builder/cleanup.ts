/**
 * Removing a stopped-or-running container costs Docker half a second to a second here (network
 * teardown), which a user waiting on a deploy need not wait for: after a successful build the
 * container is committed, then removed in the background while the deploy goes on. The process
 * stays alive until the removal is done (its request holds the event loop); tests and callers
 * that must see it gone await `buildContainersRemoved()`.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { processAlive, processStartTicks } from '../lib/lock.ts';

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

/**
 * What a killed build leaves: its build container (`sleep 86400`, holding the cache volume) and its
 * work directory. Both carry their creator's pid and start ticks in their name (a label would pass
 * to the committed image, and from it to every app container), so any later call can tell a dead
 * creator's leftovers from a live build's and remove them.
 */
const BUILD_CONTAINER = /^dokku-build\.(.+)\.(\d+)-(\d+)\.[0-9a-f]{6}$/;

function creatorTag(): string {
  return `${process.pid}-${processStartTicks(process.pid) ?? 0}`;
}

function creatorIsGone(pid: number, ticks: number): boolean {
  if (!processAlive(pid)) return true;
  const now = processStartTicks(pid);
  return ticks !== 0 && now !== undefined && now !== ticks;
}

export function buildContainerName(app: string): string {
  return `dokku-build.${app}.${creatorTag()}.${randomBytes(3).toString('hex')}`;
}

/**
 * The prefix of a scratch directory under the temp dir: a build's work directory, an uploaded
 * archive, a pushed revision's tar. A SIGKILL leaves it behind; its name says whose it was.
 */
export function workDirPrefix(app: string, purpose: 'build' | 'archive' | 'push' = 'build'): string {
  return `dokku-${purpose}-${app}-${creatorTag()}-`;
}

/**
 * Removes build containers whose creator died (all of `app`'s with `everyOfApp`, for a caller
 * holding the app's deploy lock, e.g. apps:destroy). Returns the names removed.
 */
export async function reapBuildContainers(docker: Docker, opts: { app?: string; everyOfApp?: boolean } = {}): Promise<string[]> {
  const found = await docker.listContainers({ all: true, filters: { name: ['dokku-build.'] } });
  const removed: string[] = [];
  for (const c of found) {
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    const m = BUILD_CONTAINER.exec(name);
    const ofApp = opts.app !== undefined && (m ? m[1] === opts.app : name.startsWith(`dokku-build.${opts.app}.`));
    const dead = m !== null && creatorIsGone(Number(m[2]), Number(m[3]));
    if (opts.app !== undefined && !ofApp) continue;
    if (!dead && !opts.everyOfApp) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true });
      removed.push(name);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
  return removed;
}

const WORK_DIR = /^dokku-(?:build|archive|push)-.+-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/** Removes scratch directories (`workDirPrefix`) under `dir` whose creator died. */
export function reapWorkDirs(dir = tmpdir()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = WORK_DIR.exec(entry);
    if (!m || !creatorIsGone(Number(m[1]), Number(m[2]))) continue;
    rmSync(join(dir, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
