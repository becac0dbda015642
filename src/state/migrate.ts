import { UserError } from '../lib/errors.ts';
import type { Database } from './db.ts';
import { migrationFiles, type MigrationFile } from './migration-files.ts';

/**
 * Applies the migrations this binary knows and the database lacks, in order, in one transaction,
 * recording each. A database already past this binary's newest migration is refused rather than
 * misread.
 */
export function migrate(db: Database, files: MigrationFile[] = migrationFiles()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const known = files.at(-1)?.version ?? 0;
  const current = db.prepare('SELECT max(version) AS v FROM schema_migrations').get<{ v: number | null }>()?.v ?? 0;
  if (current > known) {
    throw new UserError(
      `This database was written by a newer dokku (schema version ${current}; this dokku knows up to ${known}). Upgrade dokku to use it.`,
    );
  }
  // Any known migration not yet recorded runs, a gap below the newest included.
  const recorded = () => new Set(db.prepare('SELECT version FROM schema_migrations').all<{ version: number }>().map((r) => r.version));
  const before = recorded();
  if (files.every((f) => before.has(f.version))) return [];
  return db.transaction('immediate', () => {
    // Re-read under the write lock: another process may have migrated while we waited.
    const done = recorded();
    const applied: number[] = [];
    for (const file of files.filter((f) => !done.has(f.version))) {
      db.exec(file.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        file.version,
        file.name,
        new Date().toISOString(),
      );
      applied.push(file.version);
    }
    return applied;
  });
}
