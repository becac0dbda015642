import { readdirSync, readFileSync } from 'node:fs';

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

/**
 * The numbered SQL files in `migrations/`. Read from disk when running from source; `build.ts`
 * replaces this module with the files' contents inlined, so the single binary carries them.
 */
export function migrationFiles(): MigrationFile[] {
  const dir = new URL('../../migrations/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.split('_', 1)[0]), name: f, sql: readFileSync(new URL(f, dir), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}
