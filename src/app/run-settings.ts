import type { RunSettings } from '../lib/run-settings.ts';
import { appStream, GLOBAL_STREAM, type DomainEvent, type StoredEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { requireApp } from '../state/queries.ts';
import { loadReleaseState } from '../state/release-queries.ts';
import { getRunSettings } from '../state/run-settings.ts';
import type { Context } from './context.ts';

/**
 * The one way a run setting changes (storage, resource, docker-options, network): the namespace's
 * decider turns the document as it is now into events, appended to the app's stream (or the global
 * one). With `restart`, a deployed app then gets a release that runs with the new settings, deployed
 * with zero downtime; without, the next deploy, `ps:restart` or `ps:rebuild` picks them up.
 */
export async function changeRunSettings(
  ctx: Context,
  app: string | undefined,
  decide: (current: RunSettings) => DomainEvent[],
  opts: { restart: boolean },
): Promise<StoredEvent[]> {
  const store = await ctx.store();
  const { db } = store;
  const row = app === undefined ? undefined : requireApp(db, app);
  const scope = row?.id ?? '';
  const append = () => execute(store, row ? appStream(row.id) : GLOBAL_STREAM, () => getRunSettings(db, scope), decide, ctx.actor);
  if (!row || !opts.restart || loadReleaseState(db, row.id).current === undefined) return append();
  const { makePipeline } = await import('./wiring.ts');
  const { withAppLock } = await import('./recovery.ts');
  const { applyRunSettings } = await import('./processes.ts');
  const p = await makePipeline(ctx);
  return withAppLock(p, row, async () => {
    const events = append();
    if (events.length) await applyRunSettings(p, row);
    return events;
  });
}
