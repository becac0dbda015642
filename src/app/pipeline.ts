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
import type { HeldLock } from '../lib/lock.ts';
import type { Triggers } from './triggers.ts';

/** What a use case needs of the app's lock (lib/lock.ts's HeldLock is the real one). */
export type DeployLock = Pick<HeldLock, 'nested' | 'release'> & { readonly takenOverFrom?: { pid: number } };

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
  /** The proxy in front of the app's web containers. */
  proxy: ProxyPort;
  /** The plugins' triggers (app/triggers.ts); none in tests that do not give them. */
  triggers?: Triggers;
}

/** What the deploy pipeline asks of the proxy (routing.ts `routingProxy` is the nginx one). */
export interface ProxyPort {
  /**
   * Points the proxy at `upstreams` of `version` and records it (TrafficSwitched, through
   * `recordSwitch`): the new configuration is checked first, and a refused one throws with
   * nothing recorded; a reload the proxy does not confirm is undone, the upstreams still serving
   * recorded again, and throws.
   */
  switch(app: AppRow, version: number, upstreams: Upstream[]): Promise<void>;
  /** Where the app answers, for the last line of a deploy. */
  urlsOf(app: AppRow): string[];
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

type Recorder = Pick<Pipeline, 'store' | 'actor'>;

export function append(p: Recorder, appId: string, events: DomainEvent[]): void {
  execute(p.store, appStream(appId), () => null, () => events, p.actor);
}

/** The one record of a traffic switch: from now on `upstreams` of `version` serve the app. */
export function recordSwitch(p: Recorder, appId: string, version: number, upstreams: Upstream[]): void {
  append(p, appId, [{ type: 'TrafficSwitched', data: { version, upstreams } }]);
}
