/**
 * The database's `backup(file)` observed: a copy taken while a second connection keeps writing
 * holds a whole state (every row of some prefix of the writes, nothing torn). Run in-process under
 * Node (better-sqlite3) and as `bun test/helpers/db-backup-run.ts DIR` (bun:sqlite), which prints JSON.
 */
import { join } from 'node:path';
import { openDatabase } from '../../src/state/db.ts';

export async function observeBackup(dir: string): Promise<Record<string, unknown>> {
  const db = await openDatabase(join(dir, 'live.db'));
  const writer = await openDatabase(join(dir, 'live.db'));
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, pair INTEGER NOT NULL)');
  const insert = writer.prepare('INSERT INTO t (n, pair) VALUES (?, ?)');
  // Rows go in pairs inside one transaction each: a copy with an odd count would be torn.
  let n = 0;
  const timer = setInterval(() => writer.transaction('immediate', () => {
    for (let i = 0; i < 50; i++) {
      insert.run(++n, 1);
      insert.run(++n, 2);
    }
  }), 1);
  await new Promise((r) => setTimeout(r, 30));
  await db.backup(join(dir, 'copy.db'));
  clearInterval(timer);
  let refusedExisting = '';
  try {
    await db.backup(join(dir, 'copy.db'));
  } catch (err) {
    refusedExisting = (err as Error).message.split('\n')[0] ?? '';
  }
  db.close();
  writer.close();
  const copy = await openDatabase(join(dir, 'copy.db'));
  const rows = copy.prepare('SELECT count(*) AS c, sum(pair) AS s FROM t').get<{ c: number; s: number }>()!;
  copy.close();
  return { driver: db.driver, copied: rows.c > 0, whole: rows.c % 2 === 0 && rows.s === (rows.c / 2) * 3, refusesAnExistingFile: refusedExisting !== '' };
}

if (import.meta.main) {
  console.log(JSON.stringify(await observeBackup(process.argv[2]!)));
}
