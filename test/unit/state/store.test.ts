import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError, UserError } from '../../../src/lib/errors.ts';
import { openDatabase, type Database } from '../../../src/state/db.ts';
import { appStream, GLOBAL_STREAM, type DomainEvent } from '../../../src/state/events.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { migrationFiles } from '../../../src/state/migration-files.ts';
import { chainHash, EventStore } from '../../../src/state/store.ts';
import { dumpProjections } from '../../helpers/projections.ts';

let dir: string;
let path: string;
let db: Database;
let store: EventStore;
let ticks: number;

/** A clock that moves one second per append, so `at` is predictable. */
const clock = () => new Date(Date.UTC(2026, 0, 1, 0, 0, ticks++));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dokku-store-'));
  path = join(dir, 'dokku.db');
  db = await openDatabase(path);
  migrate(db);
  ticks = 0;
  store = new EventStore(db, clock);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const set = (vars: Record<string, string>): DomainEvent => ({ type: 'ConfigSet', data: { vars } });
const created = (name: string): DomainEvent => ({ type: 'AppCreated', data: { name } });


describe('the database file', () => {
  it('is created with mode 0600, and so are its WAL files', () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
    store.append(GLOBAL_STREAM, 0, [set({ A: '1' })], 'test');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
  });

  it('is tightened to 0600 when it already existed with a wider mode', async () => {
    db.close();
    const { chmodSync } = await import('node:fs');
    chmodSync(path, 0o644);
    db = await openDatabase(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('runs in WAL mode with synchronous=FULL and a busy timeout', () => {
    expect(db.prepare('PRAGMA journal_mode').get<{ journal_mode: string }>()?.journal_mode).toBe('wal');
    expect(db.prepare('PRAGMA synchronous').get<{ synchronous: number }>()?.synchronous).toBe(2);
    expect(db.prepare('PRAGMA busy_timeout').get<{ timeout: number }>()?.timeout).toBeGreaterThanOrEqual(1000);
  });
});

describe('migrations', () => {
  it('records every migration once and a second run is a no-op', () => {
    const files = migrationFiles();
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(files.map((f) => f.version)).toEqual([...files.map((f) => f.version)].sort((a, b) => a - b));
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all<{ version: number; name: string }>();
    expect(recorded).toEqual(files.map((f) => ({ version: f.version, name: f.name })));
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get<{ n: number }>()?.n).toBe(files.length);
  });

  it('applies only what is pending, in order', async () => {
    const fresh = await openDatabase(join(dir, 'fresh.db'));
    try {
      const files = migrationFiles();
      expect(migrate(fresh, files.slice(0, 1))).toEqual([files[0]!.version]);
      expect(migrate(fresh, files)).toEqual(files.slice(1).map((f) => f.version));
      expect(migrate(fresh, files)).toEqual([]);
    } finally {
      fresh.close();
    }
  });

  it('applies all pending migrations in one transaction: a failing one leaves nothing behind', async () => {
    const fresh = await openDatabase(join(dir, 'broken.db'));
    try {
      const files = [
        { version: 1, name: '001_ok.sql', sql: 'CREATE TABLE first_table (a INTEGER);' },
        { version: 2, name: '002_broken.sql', sql: 'CREATE TABLE second_table (a INTEGER); THIS IS NOT SQL;' },
      ];
      expect(() => migrate(fresh, files)).toThrow();
      const tables = fresh.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
      expect(tables.map((t) => t.name)).toEqual(['schema_migrations']);
      expect(fresh.prepare('SELECT count(*) AS n FROM schema_migrations').get<{ n: number }>()?.n).toBe(0);
    } finally {
      fresh.close();
    }
  });

  it('refuses a database written by a newer version, with a clear message', () => {
    const known = migrationFiles().at(-1)!.version;
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(known + 7, 'future.sql', 'x');
    let error: unknown;
    try {
      migrate(db);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `This database was written by a newer dokku (schema version ${known + 7}; this dokku knows up to ${known}). Upgrade dokku to use it.`,
    );
  });
});

describe('append, read, readAll', () => {
  it('gives each event a global position, a per-stream version, the actor and the time', () => {
    const a = appStream('a');
    const b = appStream('b');
    const first = store.append(a, 0, [created('one'), set({ X: '1' })], 'alice');
    const second = store.append(b, 0, [created('two')], 'bob');
    const third = store.append(a, 2, [set({ Y: '2' })], 'carol');
    expect([...first, ...second, ...third].map((e) => [e.position, e.stream, e.version, e.actor, e.at])).toEqual([
      [1, a, 1, 'alice', '2026-01-01T00:00:00.000Z'],
      [2, a, 2, 'alice', '2026-01-01T00:00:00.000Z'],
      [3, b, 1, 'bob', '2026-01-01T00:00:01.000Z'],
      [4, a, 3, 'carol', '2026-01-01T00:00:02.000Z'],
    ]);
    expect(store.version(a)).toBe(3);
    expect(store.version(b)).toBe(1);
    expect(store.version(appStream('never'))).toBe(0);
    expect(store.lastPosition()).toBe(4);
  });

  it('reads a stream in version order and the whole log from a position on', () => {
    const a = appStream('a');
    store.append(a, 0, [created('one')], 't');
    store.append(GLOBAL_STREAM, 0, [set({ G: '1' })], 't');
    store.append(a, 1, [set({ X: 'x' }), { type: 'ConfigUnset', data: { keys: ['X'] } }], 't');
    expect(store.read(a).map((e) => [e.version, e.type])).toEqual([
      [1, 'AppCreated'],
      [2, 'ConfigSet'],
      [3, 'ConfigUnset'],
    ]);
    expect(store.read(a)[1]!.data).toEqual({ vars: { X: 'x' } });
    expect([...store.readAll()].map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect([...store.readAll(2)].map((e) => e.position)).toEqual([3, 4]);
    expect([...store.readAll(4)]).toEqual([]);
    expect(store.read(appStream('none'))).toEqual([]);
  });

  it('returns what it stored exactly as read back', () => {
    const appended = store.append(GLOBAL_STREAM, 0, [set({ V: 'line\n"q" \'s\' $x é 🚀' })], 'alice');
    expect(store.read(GLOBAL_STREAM)).toEqual(appended);
  });

  it('refuses a stale expected version with a ConcurrencyError and appends nothing', () => {
    store.append(GLOBAL_STREAM, 0, [set({ A: '1' })], 't');
    let error: unknown;
    try {
      store.append(GLOBAL_STREAM, 0, [set({ A: '2' })], 't');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ stream: GLOBAL_STREAM, expected: 0, actual: 1, exitCode: 1 });
    expect(() => store.append(GLOBAL_STREAM, 5, [set({ A: '2' })], 't')).toThrow(ConcurrencyError);
    expect(store.lastPosition()).toBe(1);
    expect(db.prepare("SELECT value FROM config WHERE scope = '' AND key = 'A'").get<{ value: string }>()?.value).toBe('1');
  });

  it('appends nothing for no events', () => {
    expect(store.append(GLOBAL_STREAM, 0, [], 't')).toEqual([]);
    expect(store.lastPosition()).toBe(0);
  });

  it('rolls the events back when a projection refuses them', () => {
    store.append(appStream('a'), 0, [created('same')], 't');
    expect(() => store.append(appStream('b'), 0, [created('same')], 't')).toThrow(/UNIQUE/);
    expect(store.lastPosition()).toBe(1);
    expect(store.version(appStream('b'))).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM apps').get<{ n: number }>()?.n).toBe(1);
  });

  it('updates projections in the same transaction as the append', () => {
    const a = appStream(randomUUID());
    store.append(a, 0, [created('web'), set({ A: '1', B: '2' }), { type: 'AppLocked', data: {} }], 't');
    expect(db.prepare('SELECT name, locked FROM apps').all()).toEqual([{ name: 'web', locked: 1 }]);
    store.append(a, 3, [{ type: 'ConfigUnset', data: { keys: ['A'] } }, { type: 'AppRenamed', data: { from: 'web', to: 'api' } }], 't');
    expect(db.prepare('SELECT name FROM apps').all()).toEqual([{ name: 'api' }]);
    expect(db.prepare('SELECT key, value FROM config').all()).toEqual([{ key: 'B', value: '2' }]);
    store.append(a, 5, [{ type: 'AppDestroyed', data: { name: 'api' } }], 't');
    expect(db.prepare('SELECT count(*) AS n FROM apps').get<{ n: number }>()?.n).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM config').get<{ n: number }>()?.n).toBe(0);
  });
});

describe('the hash chain', () => {
  beforeEach(() => {
    for (let i = 0; i < 5; i++) store.append(GLOBAL_STREAM, i, [set({ [`K${i}`]: `v${i}` })], 'alice');
  });

  it('links every row to the one before it', () => {
    const rows = db.prepare('SELECT * FROM events ORDER BY position').all<Parameters<typeof chainHash>[1] & { hash: string }>();
    let prev = '0'.repeat(64);
    for (const row of rows) {
      expect(row.hash).toBe(chainHash(prev, row));
      prev = row.hash;
    }
    expect(store.verify()).toMatchObject({ ok: true, count: 5, position: 5 });
  });

  it.each([
    ['data', `UPDATE events SET data = '{"vars":{"K2":"changed"}}' WHERE position = 3`],
    ['actor', `UPDATE events SET actor = 'mallory' WHERE position = 3`],
    ['time', `UPDATE events SET at = '2020-01-01T00:00:00.000Z' WHERE position = 3`],
    ['type', `UPDATE events SET type = 'ConfigUnset' WHERE position = 3`],
    ['stream', `UPDATE events SET stream = 'app/x' WHERE position = 3`],
    ['hash', `UPDATE events SET hash = '${'f'.repeat(64)}' WHERE position = 3`],
  ])('names the first altered position when a row’s %s is changed with raw SQL', (_, sql) => {
    db.exec(sql);
    expect(store.verify()).toMatchObject({ ok: false, position: 3, count: 2 });
  });

  it('names a deleted row as missing', () => {
    db.exec('DELETE FROM events WHERE position = 2');
    expect(store.verify()).toEqual({ ok: false, position: 2, reason: 'event 2 is missing', count: 1 });
  });

  it('detects a rewrite that recomputes one row’s hash but not the rest', () => {
    const row = db.prepare('SELECT * FROM events WHERE position = 4').get<Parameters<typeof chainHash>[1]>()!;
    const prev = db.prepare('SELECT hash FROM events WHERE position = 3').get<{ hash: string }>()!.hash;
    const forged = { ...row, data: '{"vars":{"K3":"forged"}}' };
    db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 4').run(forged.data, chainHash(prev, forged));
    expect(store.verify()).toMatchObject({ ok: false, position: 5, reason: 'event 5 does not match its hash' });
  });
});

describe('rebuildProjections', () => {
  it('refolds exactly the tables the appends built', () => {
    const a = appStream('a');
    const b = appStream('b');
    store.append(a, 0, [created('web'), set({ A: '1', B: '2' })], 't');
    store.append(b, 0, [created('api'), { type: 'AppLocked', data: {} }], 't');
    store.append(GLOBAL_STREAM, 0, [set({ G: 'g' })], 't');
    store.append(a, 2, [{ type: 'ConfigUnset', data: { keys: ['A'] } }, { type: 'AppRenamed', data: { from: 'web', to: 'www' } }], 't');
    store.append(b, 2, [{ type: 'AppDestroyed', data: { name: 'api' } }], 't');
    const before = dumpProjections(db);
    db.exec("INSERT INTO config (scope, key, value) VALUES ('', 'STRAY', 'x')");
    expect(store.rebuildProjections()).toBe(8);
    expect(dumpProjections(db)).toEqual(before);
  });

  it('refolds a log longer than one read page', () => {
    const a = appStream('a');
    store.append(a, 0, [created('web')], 't');
    const events = Array.from({ length: 10_000 }, (_, i) => set({ [`K${i % 97}`]: `v${i}` }));
    store.append(a, 1, events, 't');
    const before = dumpProjections(db);
    db.exec('DELETE FROM config');
    expect(store.rebuildProjections()).toBe(10_001);
    expect(dumpProjections(db)).toEqual(before);
    expect((before.config as unknown[]).length).toBe(97);
  });

  it('skips event types this version does not know, and the chain still verifies', () => {
    store.append(GLOBAL_STREAM, 0, [{ type: 'FromTheFuture', data: { x: 1 } } as unknown as DomainEvent], 't');
    store.append(GLOBAL_STREAM, 1, [set({ A: '1' })], 't');
    expect(store.rebuildProjections()).toBe(2);
    expect(db.prepare('SELECT key FROM config').all()).toEqual([{ key: 'A' }]);
    expect(store.verify()).toMatchObject({ ok: true, count: 2 });
  });
});
