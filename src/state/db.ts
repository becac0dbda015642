import { closeSync, chmodSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { NotADokkuDatabase } from '../lib/errors.ts';

/** Positional parameters only: both drivers bind `?` the same way. */
export type SqlParam = string | number | bigint | null | Uint8Array;

export interface Statement {
  run(...params: SqlParam[]): { changes: number };
  get<T>(...params: SqlParam[]): T | undefined;
  all<T>(...params: SqlParam[]): T[];
  iterate<T>(...params: SqlParam[]): IterableIterator<T>;
}

/** The one database interface the rest of the program sees, over bun:sqlite or better-sqlite3. */
export interface Database {
  readonly driver: 'bun:sqlite' | 'better-sqlite3';
  exec(sql: string): void;
  prepare(sql: string): Statement;
  /** Runs `fn` in a transaction; IMMEDIATE takes the write lock up front so writers queue on the busy timeout. */
  transaction<T>(mode: 'deferred' | 'immediate', fn: () => T): T;
  /** A consistent copy of the whole database into `file` (which must not exist), taken while others write. */
  backup(file: string): Promise<void>;
  close(): void;
}

export interface OpenOptions {
  /** How long a writer waits for another process's lock before giving up. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

export async function openDatabase(path: string, options: OpenOptions = {}): Promise<Database> {
  const busy = options.busyTimeoutMs ?? 10_000;
  if (path !== ':memory:' && !options.readonly) createPrivateFile(path);
  const db = guarded(path, isBun ? await openBun(path) : await openBetter(path, busy));
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.floor(busy)}`);
    if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** SQLite's answers for a file that is not (or no longer) a whole database. */
const UNREADABLE = /^SQLITE_(CORRUPT|NOTADB)/;

/** A driver error saying the file is damaged becomes the one-line NotADokkuDatabase; others pass. */
export function unreadableReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && UNREADABLE.test(e.code)) return String(e.message).split('\n')[0];
  return undefined;
}

/**
 * The same database, with every call's damaged-file errors (which SQLite may report at any read of
 * a truncated file, not only at open) turned into NotADokkuDatabase naming `path`.
 */
function guarded(path: string, db: Database): Database {
  const call = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      const reason = unreadableReason(err);
      if (reason === undefined) throw err;
      throw new NotADokkuDatabase(path, reason);
    }
  };
  function* iterate<T>(rows: () => IterableIterator<T>): Generator<T> {
    const it = call(rows);
    try {
      for (;;) {
        const next = call(() => it.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A reader that stops early must free the statement (better-sqlite3 keeps it busy otherwise).
      it.return?.();
    }
  }
  const cache = new Map<string, Statement>();
  const wrapped: Database = {
    driver: db.driver,
    exec: (sql) => call(() => db.exec(sql)),
    prepare(sql) {
      let guardedStmt = cache.get(sql);
      if (!guardedStmt) {
        const stmt = call(() => db.prepare(sql));
        guardedStmt = {
          run: (...p) => call(() => stmt.run(...p)),
          get: <T>(...p: SqlParam[]) => call(() => stmt.get<T>(...p)),
          all: <T>(...p: SqlParam[]) => call(() => stmt.all<T>(...p)),
          iterate: <T>(...p: SqlParam[]) => iterate(() => stmt.iterate<T>(...p)),
        };
        cache.set(sql, guardedStmt);
      }
      return guardedStmt;
    },
    transaction: (mode, fn) => runTransaction(wrapped, mode, fn),
    backup: async (file) => {
      // Both drivers' behaviour: VACUUM INTO refuses a file that is there, the backup API would write over it.
      if (existsSync(file)) throw new Error(`Cannot back the database up into ${file}: it exists`);
      try {
        await db.backup(file);
      } catch (err) {
        const reason = unreadableReason(err);
        if (reason === undefined) throw err;
        throw new NotADokkuDatabase(path, reason);
      }
    },
    close: () => db.close(),
  };
  return wrapped;
}

/** The log holds config values, so the file (and SQLite's -wal/-shm, which copy its mode) is 0600. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

async function openBun(path: string): Promise<Database> {
  const { Database: BunDatabase } = await import('bun:sqlite');
  const raw = new BunDatabase(path, { create: true, strict: true });
  const cache = new Map<string, Statement>();
  const db: Database = {
    driver: 'bun:sqlite',
    exec: (sql) => void raw.run(sql),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        const q = raw.prepare(sql);
        stmt = {
          run: (...p) => ({ changes: q.run(...(p as never[])).changes }),
          get: <T>(...p: SqlParam[]) => (q.get(...(p as never[])) ?? undefined) as T | undefined,
          all: <T>(...p: SqlParam[]) => q.all(...(p as never[])) as T[],
          iterate: <T>(...p: SqlParam[]) => q.iterate(...(p as never[])) as IterableIterator<T>,
        };
        cache.set(sql, stmt);
      }
      return stmt;
    },
    transaction: (mode, fn) => runTransaction(db, mode, fn),
    // bun:sqlite has no online backup API; VACUUM INTO writes a consistent snapshot from one read transaction.
    backup: async (file) => void raw.prepare('VACUUM INTO ?').run(file),
    close: () => raw.close(),
  };
  return db;
}

async function openBetter(path: string, busy: number): Promise<Database> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const raw = new BetterSqlite3(path, { timeout: busy });
  const cache = new Map<string, Statement>();
  const db: Database = {
    driver: 'better-sqlite3',
    exec: (sql) => void raw.exec(sql),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        const q = raw.prepare(sql);
        const returnsRows = q.reader;
        stmt = {
          run: (...p) => ({ changes: q.run(...p).changes }),
          get: <T>(...p: SqlParam[]) => (returnsRows ? q.get(...p) : (q.run(...p), undefined)) as T | undefined,
          all: <T>(...p: SqlParam[]) => q.all(...p) as T[],
          iterate: <T>(...p: SqlParam[]) => q.iterate(...p) as IterableIterator<T>,
        };
        cache.set(sql, stmt);
      }
      return stmt;
    },
    transaction: (mode, fn) => runTransaction(db, mode, fn),
    // SQLite's online backup API: pages copied in steps, restarted if a writer changes one meanwhile.
    backup: async (file) => void (await raw.backup(file)),
    close: () => raw.close(),
  };
  return db;
}

function runTransaction<T>(db: Database, mode: 'deferred' | 'immediate', fn: () => T): T {
  db.exec(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch (rollbackErr) {
      // A damaged file may refuse the rollback too; the first error says what happened.
      if (!(err instanceof NotADokkuDatabase)) throw rollbackErr;
    }
    throw err;
  }
}
