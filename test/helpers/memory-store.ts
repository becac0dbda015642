import { openDatabase } from '../../src/state/db.ts';
import { migrate } from '../../src/state/migrate.ts';
import { EventStore } from '../../src/state/store.ts';

/** A migrated store in memory: the real log and projections, gone when closed. */
export async function memoryStore(): Promise<EventStore> {
  const db = await openDatabase(':memory:');
  migrate(db);
  return new EventStore(db);
}
