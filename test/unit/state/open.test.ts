import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotADokkuDatabase, UserError } from '../../../src/lib/errors.ts';
import { unreadableReason } from '../../../src/state/db.ts';
import { createdMarkerPath, decideOpen, missingTables, openStateDatabase } from '../../../src/state/open.ts';
import { PROJECTION_TABLES } from '../../../src/state/projections.ts';
import { EventStore } from '../../../src/state/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'dokku-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => {
  const d = join(dir, String(++n));
  mkdirSync(d);
  return join(d, 'dokku.db');
};

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NotADokkuDatabase);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('decideOpen (pure)', () => {
  const marker = '/r/.dokku.db-created';
  it('opens a file with content, whatever the marker says', () => {
    expect(decideOpen({ kind: 'file', size: 4096 }, undefined, marker)).toEqual({ action: 'open' });
    expect(decideOpen({ kind: 'file', size: 4096 }, '2026-01-01T00:00:00.000Z', marker)).toEqual({ action: 'open' });
  });
  it('creates a database only where none was ever created', () => {
    expect(decideOpen({ kind: 'missing' }, undefined, marker)).toEqual({ action: 'open' });
    expect(decideOpen({ kind: 'file', size: 0 }, undefined, marker)).toEqual({ action: 'open' });
  });
  it('refuses a missing or empty file where one was created, and says how to start over', () => {
    for (const [file, word] of [[{ kind: 'missing' }, 'missing'], [{ kind: 'file', size: 0 }, 'empty']] as const) {
      const d = decideOpen(file, '2026-01-01T00:00:00.000Z', marker);
      expect(d).toEqual({
        action: 'refuse',
        reason: `it is ${word}, but one was created here at 2026-01-01T00:00:00.000Z; restore it from a backup, or remove ${marker} to start a new, empty platform`,
      });
    }
    // An unreadable marker still counts.
    expect(decideOpen({ kind: 'missing' }, '', marker).action).toBe('refuse');
  });
  it('refuses a directory', () => {
    expect(decideOpen({ kind: 'directory' }, undefined, marker)).toEqual({ action: 'refuse', reason: 'it is a directory' });
  });
  it('the marker sits beside the database', () => {
    expect(createdMarkerPath('/home/dokku/dokku.db')).toBe('/home/dokku/.dokku.db-created');
    expect(createdMarkerPath('/var/lib/x/state.sqlite')).toBe('/var/lib/x/.state.sqlite-created');
  });
});

describe('missingTables (pure)', () => {
  const all = new Set(['events', 'schema_migrations', ...PROJECTION_TABLES]);
  it('names what is missing, nothing when complete', () => {
    expect(missingTables(all)).toEqual([]);
    const noEvents = new Set(all);
    noEvents.delete('events');
    expect(missingTables(noEvents)).toEqual(['events']);
  });
});

describe('unreadableReason', () => {
  it("recognises SQLite's damaged-file codes only", () => {
    expect(unreadableReason(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' }))).toBe('file is not a database');
    expect(unreadableReason(Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }))).toBe('database disk image is malformed');
    expect(unreadableReason(Object.assign(new Error('x'), { code: 'SQLITE_CORRUPT_INDEX' }))).toBe('x');
    expect(unreadableReason(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBeUndefined();
    expect(unreadableReason(new Error('no code'))).toBeUndefined();
  });
});

describe('openStateDatabase', () => {
  it('creates a new database and its marker; opens it again; refuses it once emptied', async () => {
    const path = freshPath();
    const db = await openStateDatabase(path);
    db.close();
    expect(readFileSync(createdMarkerPath(path), 'utf8')).toMatch(/^\d{4}-/);
    (await openStateDatabase(path)).close();
    for (const f of [`${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    truncateSync(path, 0);
    expect(await refusal(openStateDatabase(path))).toMatch(/^.*dokku\.db is not a dokku database: it is empty, but one was created here at /);
  });

  it('marks an existing database (made before markers) the first time it opens it', async () => {
    const path = freshPath();
    (await openStateDatabase(path)).close();
    rmSync(createdMarkerPath(path));
    (await openStateDatabase(path)).close();
    expect(existsSync(createdMarkerPath(path))).toBe(true);
  });

  it('refuses garbage and a directory with one message naming the file', async () => {
    const garbage = freshPath();
    writeFileSync(garbage, 'not a database '.repeat(500));
    expect(await refusal(openStateDatabase(garbage))).toBe(`${garbage} is not a dokku database: file is not a database`);
    expect(existsSync(createdMarkerPath(garbage))).toBe(false);
    const directory = freshPath();
    mkdirSync(directory);
    expect(await refusal(openStateDatabase(directory))).toBe(`${directory} is not a dokku database: it is a directory`);
  });

  it('refuses a database whose events table is gone', async () => {
    const path = freshPath();
    const db = await openStateDatabase(path);
    db.exec('DROP TABLE events');
    db.close();
    expect(await refusal(openStateDatabase(path))).toBe(`${path} is not a dokku database: it has no events table`);
  });

  it('event data that is not JSON is a one-line error naming its position', async () => {
    const path = freshPath();
    const db = await openStateDatabase(path);
    const store = new EventStore(db);
    store.append('access', 0, [{ type: 'AccessDenied', data: { key: 'k', fingerprint: 'f', command: 'c', reason: 'r' } }] as never, 't');
    db.prepare("UPDATE events SET data = '{oops' WHERE position = 1").run();
    let caught: unknown;
    try {
      store.latest({ limit: 5 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(/^The event log is damaged: event 1 has data that is not JSON \(.+\); run events:verify$/);
    expect(store.verify()).toMatchObject({ ok: false, position: 1, reason: expect.stringMatching(/^event 1 has data that is not JSON/) });
    db.close();
  });
});
