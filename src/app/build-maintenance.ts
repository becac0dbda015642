import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildsBeyondRetention } from '../lib/build-retention.ts';
import { UserError } from '../lib/errors.ts';
import { loadExeca } from '../lib/execa.ts';
import { buildLogPath, gitRepoPath } from '../lib/settings.ts';
import { listApps, type AppRow } from '../state/queries.ts';
import { getRuntime, listBuilds, setting } from '../state/release-queries.ts';
import type { Context } from './context.ts';
import { recoverIfIdle, recoverInterrupted, withAppLock } from './recovery.ts';
import { DeployLockedError, holderIsAlive, processAlive, type LockHolder } from '../lib/lock.ts';
import { decide } from './pipeline.ts';

/** The retention that applies to the app: its own, else the global one, else Dokku's 20. */
export async function computedRetention(ctx: Context, app: AppRow): Promise<number> {
  const { db } = await ctx.store();
  return Number(setting(db, app.id, 'builds', 'retention') || setting(db, '', 'builds', 'retention') || '20');
}

/**
 * Reaps a build left running by a dead process (recorded failed), then removes the output of the
 * finished builds beyond the retention. Returns the build numbers whose output went.
 */
export async function pruneBuilds(ctx: Context, app: AppRow): Promise<number[]> {
  const { db } = await ctx.store();
  const { makePipeline } = await import('./wiring.ts');
  if (listBuilds(db, app.id).some((b) => b.status === 'running')) await recoverIfIdle(await makePipeline(ctx), app);
  const pruned: number[] = [];
  for (const n of buildsBeyondRetention(listBuilds(db, app.id), await computedRetention(ctx, app))) {
    const path = buildLogPath(ctx.settings, app.id, n);
    if (!existsSync(path)) continue;
    rmSync(path, { force: true });
    pruned.push(n);
  }
  return pruned;
}

/** `git gc` in the app's bare repository (no shell: git's own arguments). */
export async function gcRepo(ctx: Context, app: AppRow, onStart: () => void, onLine: (l: string) => void): Promise<void> {
  const repo = gitRepoPath(ctx.settings, app.name);
  if (!existsSync(join(repo, 'HEAD'))) throw new UserError(`${app.name} has no git repository yet`);
  onStart();
  const execa = await loadExeca();
  const r = await execa('git', ['gc', '--quiet'], { cwd: repo, reject: false, stdin: 'ignore', all: true });
  for (const line of String(r.all ?? '').split('\n').filter(Boolean)) onLine(line);
  if (r.exitCode !== 0) throw new UserError(`git gc failed in ${app.name}'s repository (exit ${r.exitCode})`);
}

/** Empties the app's build cache (the buildpack cache volume); the next build starts cold. */
export async function purgeBuildCache(ctx: Context, app: AppRow): Promise<void> {
  const { makePipeline } = await import('./wiring.ts');
  const p = await makePipeline(ctx);
  // Under the deploy lock: a running build holds the volume, and a deploy must not start mid-purge.
  await withAppLock(p, app, async () => {
    const builder = await p.builder();
    if (!builder.purgeCache) throw new UserError('This builder keeps no build cache');
    await builder.purgeCache(app.name);
  });
}

/** `cleanup [app]`: dokku's exited containers (not a current release's) and dangling images. */
export async function cleanupDocker(ctx: Context, app: AppRow | undefined): Promise<{ containers: number; images: number }> {
  const { db } = await ctx.store();
  const [{ connectDocker }, { cleanup }] = await Promise.all([import('../lib/docker-client.ts'), import('../runtime/cleanup.ts')]);
  const current = new Map(listApps(db).map((a) => [a.name, getRuntime(db, a.id).current]));
  return cleanup(await connectDocker(ctx.settings), current, app?.name);
}

/**
 * `builds:cancel`: the process holding the app's deploy lock gets SIGTERM (its pusher sees a
 * `cancelled` line); once it is gone, the running build is recorded cancelled, what it left (build
 * container, work directory) goes, and the lock is released.
 */
export async function cancelBuild(ctx: Context, app: AppRow, waitMs = 30_000): Promise<number> {
  const { db } = await ctx.store();
  const running = listBuilds(db, app.id).find((b) => b.status === 'running');
  if (!running) throw new UserError(`No build of ${app.name} is running`);
  const { makePipeline } = await import('./wiring.ts');
  const p = await makePipeline(ctx);
  let holder: LockHolder | undefined;
  try {
    p.lock(app.name).release();
  } catch (err) {
    if (!(err instanceof DeployLockedError)) throw err;
    holder = err.holder;
  }
  if (holder && holderIsAlive(holder)) {
    try {
      process.kill(holder.pid, 'SIGTERM');
    } catch {
      // Gone between the check and the signal.
    }
    const until = Date.now() + waitMs;
    while (processAlive(holder.pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(holder.pid)) throw new UserError(`The build of ${app.name} (pid ${holder.pid}) did not stop within ${waitMs / 1000}s`);
  }
  const lock = p.lock(app.name);
  try {
    const still = listBuilds(db, app.id).find((b) => b.number === running.number && b.status === 'running');
    if (still) decide(p, app.id, { type: 'build:fail', build: running.number, reason: `cancelled by ${ctx.actor}`, cancelled: true });
    await recoverInterrupted(p, app, holder ?? { pid: 0 });
  } finally {
    lock.release();
  }
  return running.number;
}
