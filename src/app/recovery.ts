import { rmSync } from 'node:fs';
import { UserError } from '../lib/errors.ts';
import { sourcePath } from '../lib/settings.ts';
import { type AppRow } from '../state/queries.ts';
import { getRuntime, listBuilds, listReleases } from '../state/release-queries.ts';

import { append, decide, type DeployLock, type Pipeline } from './pipeline.ts';

/**
 * Takes the app's deploy lock and, holding it, clears up after a deploy that was killed: nothing
 * else can be building or deploying the app now, so a build still "running" or a release still
 * "deploying" was interrupted. A nested lock (this process already holds it) has nothing to clear:
 * what is in flight is the caller's own.
 */
export async function lockApp(p: Pipeline, app: AppRow): Promise<DeployLock> {
  const lock = p.lock(app.name);
  if (lock.nested) return lock;
  try {
    const { found, reason } = await recoverInterrupted(p, app, lock.takenOverFrom);
    if (found.length) p.onLine(` !     ${found.join(' and ')} of ${app.name} ${found.length === 1 ? 'was' : 'were'} ${reason}; marked failed`);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}

/** Runs `fn` holding the app's deploy lock (see lockApp); the lock goes when `fn` settles. */
export async function withAppLock<T>(p: Pipeline, app: AppRow, fn: () => Promise<T>): Promise<T> {
  const lock = await lockApp(p, app);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * For a caller holding the app's deploy lock: records the interrupted build or deploy as failed
 * and removes what it left (build containers, upcoming containers, work directories). Returns
 * what was found, for the caller's output.
 */
export async function recoverInterrupted(p: Pipeline, app: AppRow, died?: { pid: number }): Promise<{ found: string[]; reason: string }> {
  const { db } = p.store;
  const reason = died ? `interrupted: process ${died.pid} died` : 'interrupted';
  const said: string[] = [];
  for (const b of listBuilds(db, app.id).filter((r) => r.status === 'running')) {
    decide(p, app.id, { type: 'build:fail', build: b.number, reason });
    said.push(`build ${b.number}`);
  }
  const deploying = listReleases(db, app.id).filter((r) => r.status === 'deploying');
  if (deploying.length) append(p, app.id, deploying.map((r) => ({ type: 'DeployFailed' as const, data: { version: r.version, reason } })));
  for (const r of deploying) said.push(`deploy of v${r.version}`);
  if (!died && said.length === 0) {
    // Nothing was interrupted by what the lock knows; still, a build container or work directory
    // whose creator died (a kill outside any deploy lock) goes.
    const builder = await p.builder();
    await builder.removeLeftovers?.(app.name);
    return { found: said, reason };
  }
  const scheduler = await p.scheduler();
  const ports = getRuntime(db, app.id).upstreams.map((u) => u.port);
  await scheduler.removeInterrupted?.(app.name, ports);
  await (await p.builder()).removeLeftovers?.(app.name, { everyBuild: true });
  rmSync(`${sourcePath(p.settings, app.id)}.tmp`, { force: true }); // keepSource's copy, if it died mid-copy
  return { found: said, reason };
}

/**
 * For commands that only read (ps:report): recovers an interrupted deploy when the app's deploy
 * lock is free or its holder died, so what they show is the truth; a live deploy is left alone.
 */
export async function recoverIfIdle(p: Pipeline, app: AppRow): Promise<void> {
  // Only a build or deploy still in flight by the log is worth the lock (a reader holding it would
  // turn a deploy starting at that moment away).
  const { db } = p.store;
  const inFlight = listBuilds(db, app.id).some((b) => b.status === 'running') || listReleases(db, app.id).some((r) => r.status === 'deploying');
  if (!inFlight) return;
  let lock: DeployLock;
  try {
    lock = p.lock(app.name);
  } catch (err) {
    if (err instanceof UserError) return; // held by a live deploy
    throw err;
  }
  try {
    if (lock.nested) return; // this process's own deploy is what is in flight
    await recoverInterrupted(p, app, lock.takenOverFrom);
  } finally {
    lock.release();
  }
}

