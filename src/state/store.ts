import { ConcurrencyError, UserError } from '../lib/errors.ts';
import type { Database } from './db.ts';
import type { DomainEvent, StoredEvent } from './events.ts';
import { PROJECTION_TABLES, project } from './projections.ts';

interface EventRow {
  position: number;
  stream: string;
  version: number;
  type: string;
  data: string;
  actor: string;
  at: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

/**
 * sha256 in hex. Under Bun its native hasher: loading node:crypto adds ~8 ms to every start of the
 * compiled binary, and most commands never hash. Under Node, node:crypto.
 */
const sha256Hex: (parts: string[]) => string =
  typeof Bun !== 'undefined'
    ? (parts) => {
        const h = new Bun.CryptoHasher('sha256');
        for (const p of parts) h.update(p);
        return h.digest('hex');
      }
    : (parts) => {
        const { createHash } = process.getBuiltinModule('node:crypto');
        const h = createHash('sha256');
        for (const p of parts) h.update(p);
        return h.digest('hex');
      };

/** The chain link: each row's hash covers the previous hash and every column of the row. */
export function chainHash(prev: string, r: Omit<EventRow, 'hash'>): string {
  return sha256Hex([prev, JSON.stringify([r.position, r.stream, r.version, r.type, r.data, r.actor, r.at])]);
}

/** Why a row's data is not the JSON dokku wrote, or undefined when it parses. */
function dataProblem(r: Pick<EventRow, 'data'>): string | undefined {
  try {
    JSON.parse(r.data);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/**
 * The one place a row becomes a typed event: the log holds what `append` wrote from a DomainEvent,
 * so its type and parsed data are taken as that event's. A type only a newer binary knows passes
 * through as well; every switch over event types has a default for it.
 */
function toStored(r: EventRow): StoredEvent {
  let data: unknown;
  try {
    data = JSON.parse(r.data);
  } catch {
    throw new UserError(`The event log is damaged: event ${r.position} has data that is not JSON (${dataProblem(r)}); run events:verify`);
  }
  return { ...r, data } as StoredEvent;
}

/** `position` and `hash` are the head of the chain: compare them with a copy kept elsewhere. */
export type VerifyResult =
  | { ok: true; count: number; position: number; hash: string }
  | { ok: false; position: number; reason: string; count: number };

/** Append-only event log with optimistic concurrency per stream and inline projections. */
export class EventStore {
  constructor(
    readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  version(stream: string): number {
    return this.db.prepare('SELECT max(version) AS v FROM events WHERE stream = ?').get<{ v: number | null }>(stream)?.v ?? 0;
  }

  /**
   * Appends `events` to `stream` if its version is still `expectedVersion`, and folds them into the
   * projections, all in one IMMEDIATE transaction: either everything lands or nothing does.
   */
  append(stream: string, expectedVersion: number, events: DomainEvent[], actor: string): StoredEvent[] {
    if (events.length === 0) return [];
    return this.db.transaction('immediate', () => {
      const actual = this.version(stream);
      if (actual !== expectedVersion) throw new ConcurrencyError(stream, expectedVersion, actual);
      const last = this.db
        .prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1')
        .get<{ position: number; hash: string }>();
      let position = last?.position ?? 0;
      let prev = last?.hash ?? GENESIS;
      const at = this.clock().toISOString();
      const insert = this.db.prepare(
        'INSERT INTO events (position, stream, version, type, data, actor, at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const stored: StoredEvent[] = [];
      let version = actual;
      for (const e of events) {
        const row = { position: ++position, stream, version: ++version, type: e.type, data: JSON.stringify(e.data), actor, at };
        const hash = chainHash(prev, row);
        insert.run(row.position, row.stream, row.version, row.type, row.data, row.actor, row.at, hash);
        // e's type and data replace the row's in place, so the keys keep the order reads give them.
        const s: StoredEvent = { ...row, ...e, hash };
        project(this.db, s);
        stored.push(s);
        prev = hash;
      }
      return stored;
    });
  }

  read(stream: string): StoredEvent[] {
    return this.db.prepare('SELECT * FROM events WHERE stream = ? ORDER BY version').all<EventRow>(stream).map(toStored);
  }

  /** Every event from `fromPosition` (exclusive) on, streamed so a long log never sits in memory. */
  *readAll(fromPosition = 0): Generator<StoredEvent> {
    for (const row of this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position').iterate<EventRow>(fromPosition)) {
      yield toStored(row);
    }
  }

  /** The last `limit` events, oldest first, optionally only of some streams and from a time on. */
  latest(opts: { limit: number; streams?: string[]; since?: string }): StoredEvent[] {
    const where: string[] = [];
    const params: string[] = [];
    if (opts.streams) {
      where.push(`stream IN (${opts.streams.map(() => '?').join(', ')})`);
      params.push(...opts.streams);
    }
    if (opts.since !== undefined) {
      where.push('at >= ?');
      params.push(opts.since);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY position DESC LIMIT ${Math.max(0, Math.floor(opts.limit))}`;
    return this.db.prepare(sql).all<EventRow>(...params).reverse().map(toStored);
  }

  lastPosition(): number {
    return this.db.prepare('SELECT max(position) AS p FROM events').get<{ p: number | null }>()?.p ?? 0;
  }

  /** Empties the projections and folds the whole log into them again, in one transaction. */
  rebuildProjections(): number {
    return this.db.transaction('immediate', () => {
      for (const t of PROJECTION_TABLES) this.db.exec(`DELETE FROM ${t}`);
      // Read in pages rather than through one open cursor: better-sqlite3 refuses writes on a
      // connection while one of its cursors is open, and projecting writes.
      const page = this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 4096');
      let n = 0;
      for (let rows = page.all<EventRow>(0); rows.length > 0; rows = page.all<EventRow>(rows.at(-1)!.position)) {
        for (const row of rows) project(this.db, toStored(row));
        n += rows.length;
      }
      return n;
    });
  }

  /** Walks the hash chain; names the first row whose hash, position or order does not hold. */
  verify(): VerifyResult {
    let prev = GENESIS;
    let expectedPosition = 0;
    let count = 0;
    for (const row of this.db.prepare('SELECT * FROM events ORDER BY position').iterate<EventRow>()) {
      expectedPosition++;
      if (row.position !== expectedPosition) {
        return { ok: false, position: expectedPosition, reason: `event ${expectedPosition} is missing`, count };
      }
      const problem = dataProblem(row);
      if (problem !== undefined) {
        return { ok: false, position: row.position, reason: `event ${row.position} has data that is not JSON (${problem})`, count };
      }
      if (chainHash(prev, row) !== row.hash) {
        return { ok: false, position: row.position, reason: `event ${row.position} does not match its hash`, count };
      }
      prev = row.hash;
      count++;
    }
    return { ok: true, count, position: expectedPosition, hash: prev };
  }
}
