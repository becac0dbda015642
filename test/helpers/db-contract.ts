/**
 * What the database interface promises, observed: the same calls made through either driver must
 * give the same observations. The test runs this in-process under Node (better-sqlite3) and as a
 * Bun process (bun:sqlite): `bun test/helpers/db-contract.ts DB_PATH` prints the observations as JSON.
 */
import type { Database } from '../../src/state/db.ts';

export function observeDbContract(db: Database): Record<string, unknown> {
  const seen: Record<string, unknown> = { driver: db.driver };
  seen.pragmas = {
    journal: db.prepare('PRAGMA journal_mode').get<{ journal_mode: string }>()?.journal_mode,
    synchronous: db.prepare('PRAGMA synchronous').get<{ synchronous: number }>()?.synchronous,
    foreignKeys: db.prepare('PRAGMA foreign_keys').get<{ foreign_keys: number }>()?.foreign_keys,
    busyAtLeastOneSecond: (db.prepare('PRAGMA busy_timeout').get<{ timeout: number }>()?.timeout ?? 0) >= 1000,
  };

  db.exec('CREATE TABLE contract (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, x REAL)');
  const insert = db.prepare('INSERT INTO contract (id, name, n, x) VALUES (?, ?, ?, ?)');
  seen.sameStatementForSameSql = insert === db.prepare('INSERT INTO contract (id, name, n, x) VALUES (?, ?, ?, ?)');
  seen.insertChanges = insert.run(1, 'plain', 7, 1.5).changes;
  insert.run(2, 'é ✓ 🚀 "quoted" \'single\' \n newline \0 nul', Number.MAX_SAFE_INTEGER, -0.25);
  insert.run(3, '', null, null);

  const byId = db.prepare('SELECT * FROM contract WHERE id = ?');
  seen.getRow = byId.get(2);
  seen.getMissing = byId.get(99);
  seen.getMissingIsUndefined = byId.get(99) === undefined;
  seen.all = db.prepare('SELECT id, name FROM contract ORDER BY id').all();
  seen.allNone = db.prepare('SELECT * FROM contract WHERE id > ?').all(100);
  seen.iterate = [...db.prepare('SELECT id FROM contract WHERE id >= ? ORDER BY id').iterate(2)];
  seen.updateChanges = db.prepare('UPDATE contract SET n = n + 1 WHERE n IS NOT NULL').run().changes;
  seen.aggregate = db.prepare('SELECT count(*) AS c, max(id) AS m FROM contract').get();
  seen.maxOfNothing = db.prepare('SELECT max(id) AS m FROM contract WHERE id < 0').get();
  // `get` on a statement that returns no rows still runs it.
  seen.getOnWrite = db.prepare('DELETE FROM contract WHERE id = ?').get(3);
  seen.afterGetOnWrite = db.prepare('SELECT count(*) AS c FROM contract').get();

  seen.commit = db.transaction('immediate', () => {
    insert.run(10, 'in transaction', 1, 0);
    return 'returned';
  });
  const boom = new Error('boom');
  try {
    db.transaction('immediate', () => {
      insert.run(11, 'rolled back', 1, 0);
      throw boom;
    });
  } catch (err) {
    seen.rethrowsSameError = err === boom;
  }
  try {
    db.transaction('deferred', () => insert.run(12, 'plain', 1, 0));
  } catch (err) {
    seen.constraintMessage = /UNIQUE constraint failed: contract\.name/.test((err as Error).message);
  }
  seen.afterTransactions = db.prepare('SELECT id FROM contract ORDER BY id').all();
  // After a failed transaction the connection is usable and outside any transaction.
  db.exec('BEGIN IMMEDIATE');
  db.exec('COMMIT');
  seen.usableAfterRollback = true;
  return seen;
}

if (import.meta.main) {
  const { openDatabase } = await import('../../src/state/db.ts');
  const db = await openDatabase(process.argv[2]!);
  process.stdout.write(`${JSON.stringify(observeDbContract(db))}\n`);
  db.close();
}
