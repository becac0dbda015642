import { UserError } from '../lib/errors.ts';
import { appStream, type StoredEvent } from '../state/events.ts';
import { decideApp, initialAppState, type AppCommand } from '../state/deciders.ts';
import { execute } from '../state/execute.ts';
import { appState, findApp, findAppById, requireApp, type AppRow } from '../state/queries.ts';
import type { Context } from './context.ts';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildLogPath, sourcePath } from '../lib/settings.ts';
import { ownNames } from '../state/image-queries.ts';
import { listReleases, loadReleaseState } from '../state/release-queries.ts';
import { type Pipeline } from './pipeline.ts';
import { deployRelease } from './deploy.ts';

/** An app's life: created, changed through its decider, renamed, destroyed. */
/**
 * Creates an app: a fresh stream, named once. The UNIQUE name column settles a race between two
 * creates of one name; `ifAbsent` (a first push) takes the other's app as its own.
 */
export async function createApp(ctx: Context, name: string, opts: { ifAbsent?: boolean } = {}): Promise<void> {
  const store = await ctx.store();
  const events = decideApp({ type: 'apps:create', name }, initialAppState(), { nameTaken: (n) => findApp(store.db, n) !== undefined });
  try {
    store.append(appStream(crypto.randomUUID()), 0, events, ctx.actor);
  } catch (err) {
    if (!String((err as Error).message).includes('UNIQUE')) throw err;
    if (!opts.ifAbsent) throw new UserError(`Name is already taken: ${name}`);
  }
}

/** Runs an app command through its decider against the app's current state. */
export async function runAppCommand(ctx: Context, name: string, command: AppCommand): Promise<{ app: AppRow; events: StoredEvent[] }> {
  const store = await ctx.store();
  const app = requireApp(store.db, name);
  const events = execute(
    store,
    appStream(app.id),
    () => {
      // Re-read by id on each attempt: a concurrent writer may have renamed or destroyed it.
      const current = findAppById(store.db, app.id);
      if (!current) throw new UserError(`App ${name} does not exist`);
      return appState(store.db, current);
    },
    (state) => decideApp(command, state, { nameTaken: (n) => findApp(store.db, n) !== undefined }),
    ctx.actor,
  );
  return { app, events };
}

/** Renames a running app: record it, deploy the current release under the new name, remove the old containers. */
export async function renameRunningApp(p: Pipeline, app: AppRow, to: string, record: () => Promise<unknown>): Promise<void> {
  const oldLock = p.lock(app.name);
  try {
    await record();
    const renamed = findAppById(p.store.db, app.id)!;
    const newLock = p.lock(to);
    try {
      const version = loadReleaseState(p.store.db, app.id).current!;
      await deployRelease(p, renamed, version);
      await (await p.scheduler()).destroy(app.name);
    } finally {
      newLock.release();
    }
  } finally {
    oldLock.release();
  }
}

/** Stops and removes what the app runs and built; the caller records AppDestroyed after. */
export async function removeAppResources(p: Pipeline, app: AppRow): Promise<void> {
  await (await p.scheduler()).destroy(app.name);
  const builder = await p.builder();
  for (const r of listReleases(p.store.db, app.id)) for (const ref of [r.imageTag, r.image]) await builder.removeImage(ref).catch(() => undefined);
  // Images and build caches carry the name the app had when they were made: clear each earlier
  // name too, unless another app has taken it since.
  for (const name of new Set([app.name, ...ownNames(p.store.db, app.id)])) await builder.removeAppArtifacts(name);
  rmSync(sourcePath(p.settings, app.id), { force: true });
  rmSync(dirname(buildLogPath(p.settings, app.id, 0)), { recursive: true, force: true });
}
