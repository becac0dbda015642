import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../../src/lib/errors.ts';
import { openDatabase, type Database } from '../../../src/state/db.ts';
import { appStream, type DomainEvent } from '../../../src/state/events.ts';
import { execute } from '../../../src/state/execute.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { getConfig } from '../../../src/state/queries.ts';
import { EventStore } from '../../../src/state/store.ts';

let dir: string;
let db: Database;
let store: EventStore;
let stream: string;
let appId: string;

const set = (vars: Record<string, string>): DomainEvent => ({ type: 'ConfigSet', data: { vars } });
const counter = () => Number(getConfig(db, appId).N ?? '0');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dokku-execute-'));
  db = await openDatabase(join(dir, 'dokku.db'));
  migrate(db);
  store = new EventStore(db);
  appId = randomUUID();
  stream = appStream(appId);
  store.append(stream, 0, [{ type: 'AppCreated', data: { name: 'shop' } }], 'admin');
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('execute', () => {
  it('appends what the decision returns, at the version it loaded', () => {
    const stored = execute(store, stream, counter, (n) => [set({ N: String(n + 1) })], 'alice');
    expect(stored.map((e) => [e.version, e.type, e.actor])).toEqual([[2, 'ConfigSet', 'alice']]);
    expect(counter()).toBe(1);
  });

  it('decides again on the new state when another writer got to the stream first', () => {
    const seen: number[] = [];
    const stored = execute(
      store,
      stream,
      counter,
      (n) => {
        seen.push(n);
        // The first time, another command appends between this load and our append.
        if (seen.length === 1) store.append(stream, store.version(stream), [set({ N: '10' })], 'bob');
        return [set({ N: String(n + 1) })];
      },
      'alice',
    );
    expect(seen).toEqual([0, 10]);
    expect(counter()).toBe(11);
    expect(stored.map((e) => e.version)).toEqual([3]);
    expect(store.read(stream).map((e) => e.actor)).toEqual(['admin', 'bob', 'alice']);
  });

  it('gives up with the ConcurrencyError after five conflicting attempts, having appended nothing of its own', () => {
    let attempts = 0;
    const run = () =>
      execute(
        store,
        stream,
        counter,
        (n) => {
          attempts++;
          store.append(stream, store.version(stream), [set({ OTHER: String(attempts) })], 'bob');
          return [set({ N: String(n + 1) })];
        },
        'alice',
      );
    expect(run).toThrow(ConcurrencyError);
    expect(attempts).toBe(5);
    expect(store.read(stream).filter((e) => e.actor === 'alice')).toEqual([]);
  });

  it('does not retry an error that is not a conflict', () => {
    let attempts = 0;
    const run = () =>
      execute(
        store,
        stream,
        () => {
          attempts++;
          return 0;
        },
        () => {
          throw new Error('refused');
        },
        'alice',
      );
    expect(run).toThrow('refused');
    expect(attempts).toBe(1);
  });

  it('appends nothing when the decision is empty', () => {
    const before = store.version(stream);
    expect(execute(store, stream, counter, () => [], 'alice')).toEqual([]);
    expect(store.version(stream)).toBe(before);
  });
});
