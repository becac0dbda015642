import { ConcurrencyError } from '../lib/errors.ts';
import type { DomainEvent, StoredEvent } from './events.ts';
import type { EventStore } from './store.ts';

const ATTEMPTS = 5;

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
  for (let attempt = 1; ; attempt++) {
    // Version first, inside one read snapshot, so the state is never newer than the version we expect.
    const { version, state } = store.db.transaction('deferred', () => ({ version: store.version(stream), state: load() }));
    const events = decide(state);
    if (events.length === 0) return [];
    try {
      return store.append(stream, version, events, actor);
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
