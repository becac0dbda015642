import { ConcurrencyError } from '../lib/errors.ts';
import { retryOn } from '../lib/retry.ts';
import type { DomainEvent, StoredEvent } from './events.ts';
import type { EventStore } from './store.ts';

/** How many times a decision is made before a stream that keeps moving is reported. */
export const CONFLICT_ATTEMPTS = 5;

export const isConcurrencyError = (err: unknown): boolean => err instanceof ConcurrencyError;

/**
 * Load → decide → append, retried when another writer got to the stream first: the decision is
 * made again on the new state, so concurrent commands serialize instead of failing.
 */
export function execute<S>(
  store: EventStore,
  stream: string,
  load: () => S,
  decide: (state: S) => DomainEvent[],
  actor: string,
): StoredEvent[] {
  return retryOn(isConcurrencyError, CONFLICT_ATTEMPTS, () => {
    // Version first, inside one read snapshot, so the state is never newer than the version we expect.
    const { version, state } = store.db.transaction('deferred', () => ({ version: store.version(stream), state: load() }));
    const events = decide(state);
    if (events.length === 0) return [];
    return store.append(stream, version, events, actor);
  });
}
