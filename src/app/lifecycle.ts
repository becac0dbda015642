import { UserError } from '../lib/errors.ts';
import { appStream, type StoredEvent } from '../state/events.ts';
import { decideApp, initialAppState, type AppCommand } from '../state/deciders.ts';
import { execute } from '../state/execute.ts';
import { appFootprint, destroyedAppNamed, renamedApp, type AppFootprint } from '../state/footprint-queries.ts';
import { appState, findApp, findAppById, requireApp, type AppRow } from '../state/queries.ts';
import type { EventStore } from '../state/store.ts';
import type { Context } from './context.ts';
import { pluginTriggers } from './triggers.ts';

/**
 * An app's life: created, changed through its decider, renamed, destroyed. A rename or a destroy is
 * recorded first and then each adapter reacts to it with its own cleanup (the `AppReaction` seam,
 * listed in reactions.ts), the way Dokku's plugins answer `post-app-rename` and `post-delete`.
 */

/**
 * One adapter's part in an app's rename or destroy, run after the event is recorded and under the
 * app's deploy lock. Each must be idempotent: a failed one is reported, and running the command again
 * runs every reaction again against what is left.
 */
export interface AppReaction {
  /** What it cleans up, for the line a failure prints ("containers", "nginx vhost"). */
  name: string;
  /** The app is destroyed: remove what of it this adapter holds. */
  destroyed?(gone: AppFootprint): Promise<void>;
  /** The app (already under its new name) was `from`: move what carries the old name. */
  renamed?(app: AppRow, from: string): Promise<void>;
}

export interface ReactionFailure {
  reaction: string;
  message: string;
}

/** What the rename and destroy use cases work with; reactions.ts fills it with the real adapters. */
export interface Lifecycle {
  store: EventStore;
  actor: string;
  /** Run in this order, every one even when an earlier one fails. */
  reactions: readonly AppReaction[];
  /** Takes the deploy lock of `name` for the app, held until every reaction ran. */
  lock(app: AppFootprint, name: string): Promise<{ release(): void }>;
  /** Dokku's `pre-delete`: may refuse the destroy before anything is recorded. */
  beforeDestroy?(name: string): Promise<void>;
  /** The apps whose last rename or destroy left a cleanup failed: only those a re-run picks up. */
  unfinished: { has(appId: string): boolean; set(appId: string, failed: string[]): void };
}

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
    return;
  }
  await pluginTriggers(ctx.settings, ctx.io.out).fire('post-create', [name]);
}

/** Runs an app command through its decider against the app's current state. */
export async function runAppCommand(ctx: Context, name: string, command: AppCommand): Promise<{ app: AppRow; events: StoredEvent[] }> {
  return recordAppCommand(await ctx.store(), ctx.actor, name, command);
}

function recordAppCommand(store: EventStore, actor: string, name: string, command: AppCommand): { app: AppRow; events: StoredEvent[] } {
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
    actor,
  );
  return { app, events };
}

/**
 * Records AppDestroyed, then lets every reaction clear what the app left. Naming an app destroyed
 * already whose cleanup failed (no app holds the name since) runs the reactions again to finish it.
 */
export async function destroyApp(l: Lifecycle, name: string): Promise<ReactionFailure[]> {
  const { db } = l.store;
  const id = appToDestroy(l, name);
  const lock = await l.lock(appFootprint(db, id)!, name);
  try {
    if (findAppById(db, id)) await l.beforeDestroy?.(name);
    if (findAppById(db, id)) record(l, id, () => recordAppCommand(l.store, l.actor, name, { type: 'apps:destroy' }));
    // Read once the lock is held and the event recorded: no deploy can add to it any more.
    const gone = appFootprint(db, id)!;
    return await react(l, id, (r) => r.destroyed?.(gone));
  } finally {
    lock.release();
  }
}

/** The id of the app `apps:destroy name` acts on: the live one, else the one destroyed under it with its cleanup unfinished. */
export function appToDestroy(l: Lifecycle, name: string): string {
  const id = findApp(l.store.db, name)?.id ?? unfinished(l, destroyedAppNamed(l.store.db, name));
  if (id === undefined) throw new UserError(`App ${name} does not exist`);
  return id;
}

const unfinished = (l: Lifecycle, id: string | undefined) => (id !== undefined && l.unfinished.has(id) ? id : undefined);

/**
 * Records AppRenamed, then lets every reaction move what carries the old name, holding the deploy
 * locks of both names. Repeating a rename whose cleanup failed (the app is `to`, and `from` is free)
 * runs the reactions again to finish it.
 */
export async function renameApp(l: Lifecycle, from: string, to: string): Promise<ReactionFailure[]> {
  const { db } = l.store;
  const id = findApp(db, from)?.id ?? unfinished(l, renamedApp(db, from, to));
  if (id === undefined) throw new UserError(`App ${from} does not exist`);
  const oldLock = await l.lock(appFootprint(db, id)!, from);
  try {
    if (findApp(db, from)?.id === id) record(l, id, () => recordAppCommand(l.store, l.actor, from, { type: 'apps:rename', to }));
    const newLock = await l.lock(appFootprint(db, id)!, to);
    try {
      const app = findAppById(db, id);
      if (!app) throw new UserError(`App ${to} does not exist`);
      return await react(l, id, (r) => r.renamed?.(app, from));
    } finally {
      newLock.release();
    }
  } finally {
    oldLock.release();
  }
}

/** Until its reactions have run, a recorded event's cleanup is unfinished (a kill, a lock refused, a failure). */
function record(l: Lifecycle, appId: string, append: () => unknown): void {
  append();
  l.unfinished.set(appId, l.reactions.map((r) => r.name));
}

/** Runs each reaction in turn; one that throws is noted (for a re-run) and the rest still run. */
async function react(l: Lifecycle, appId: string, run: (r: AppReaction) => Promise<void> | undefined): Promise<ReactionFailure[]> {
  const failed: ReactionFailure[] = [];
  for (const r of l.reactions) {
    try {
      await run(r);
    } catch (err) {
      failed.push({ reaction: r.name, message: String((err as Error)?.message ?? err).split('\n')[0]! });
    }
  }
  l.unfinished.set(appId, failed.map((f) => f.reaction));
  return failed;
}
