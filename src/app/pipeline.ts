import { type Settings } from '../lib/settings.ts';
import type { DomainEvent, StoredEvent } from '../state/events.ts';
import { appStream } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { type AppRow } from '../state/queries.ts';
import { decideRelease, type ReleaseCommand } from '../state/release-decider.ts';
import { loadReleaseState, releaseContext } from '../state/release-queries.ts';
import type { EventStore } from '../state/store.ts';
import type { Upstream } from '../lib/types.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { Builder } from '../builder/port.ts';
import type { DeployLock } from '../lib/lock.ts';

export type { DeployLock } from '../lib/lock.ts';


/**
 * What a use case of the deploy pipeline works with: the state, the acting user, where its output goes,
 * and the adapters (builder, scheduler, proxy) behind their ports. `makePipeline` (wiring.ts) fills it
 * with the real ones; tests fill it with fakes.
 */

export interface Pipeline {
  store: EventStore;
  settings: Settings;
  actor: string;
  builder: () => Promise<Builder>;
  scheduler: () => Promise<Scheduler>;
  /**
   * Takes the app's deploy lock, failing at once if another process holds it. Re-entrant: taken
   * again while this process holds it, it gives a nested handle, so use cases can call each other.
   */
  lock: (app: string) => DeployLock;
  onLine: (line: string) => void;
  /** Where the app answers, for the last line of a deploy (the proxy fills this in). */
  urlsOf?: (app: AppRow) => string[];
  /**
   * Points the proxy at new upstreams: checks the new configuration, calls `record` (which appends
   * TrafficSwitched), then reloads. Throws, with nothing recorded, if the proxy refuses it.
   */
  switchTraffic?: (appId: string, version: number, upstreams: Upstream[], record: () => void, undo: () => void) => Promise<void>;
}

export const imageTagFor = (app: string, build: number): string => `dokku/${app}:build-${build}`;

export function decide(p: Pipeline, appId: string, command: ReleaseCommand): StoredEvent[] {
  const { db } = p.store;
  return execute(
    p.store,
    appStream(appId),
    () => loadReleaseState(db, appId),
    (state) => decideRelease(command, state, releaseContext(db, appId)),
    p.actor,
  );
}

export function append(p: Pipeline, appId: string, events: DomainEvent[]): void {
  execute(p.store, appStream(appId), () => null, () => events, p.actor);
}
