/**
 * One writer process for the store's concurrency test. Opens the database, says `ready`, waits for
 * the go file to appear (so several writers start together), then appends one event at the expected
 * version it was given and prints what happened as one JSON line.
 *
 * Usage: append-worker DB STREAM EXPECTED_VERSION GO_FILE LABEL
 * Runs under Bun as it is (bun:sqlite) and under Node once bundled (better-sqlite3).
 */
import { existsSync } from 'node:fs';
import { ConcurrencyError } from '../../src/lib/errors.ts';
import { openDatabase } from '../../src/state/db.ts';
import { EventStore } from '../../src/state/store.ts';

const [dbPath, stream, expected, goFile, label] = process.argv.slice(2) as [string, string, string, string, string];
const db = await openDatabase(dbPath);
const store = new EventStore(db);
process.stdout.write('ready\n');

const pause = new Int32Array(new SharedArrayBuffer(4));
const deadline = Date.now() + 20_000;
while (!existsSync(goFile)) {
  if (Date.now() > deadline) throw new Error('go file never appeared');
  Atomics.wait(pause, 0, 0, 1);
}

let result: Record<string, unknown>;
try {
  const [event] = store.append(stream, Number(expected), [{ type: 'ConfigSet', data: { vars: { WRITER: label } } }], label);
  result = { result: 'appended', driver: db.driver, version: event!.version, position: event!.position };
} catch (err) {
  if (!(err instanceof ConcurrencyError)) throw err;
  result = { result: 'conflict', driver: db.driver, name: err.name, expected: err.expected, actual: err.actual, message: err.message };
}
db.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
