import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.ts';
import { observeBackup } from '../../helpers/db-backup-run.ts';

/** `Database.backup`: SQLite's online backup (better-sqlite3) and VACUUM INTO (bun:sqlite) promise the same. */

const dir = mkdtempSync(join(tmpdir(), 'dokku-db-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a copy of the database taken while it is written', () => {
  it('is whole, under better-sqlite3 and under bun:sqlite', async () => {
    mkdirSync(join(dir, 'node'));
    mkdirSync(join(dir, 'bun'));
    const node = await observeBackup(join(dir, 'node'));
    const r = spawnSync(join(REPO, 'node_modules/.bin/bun'), [join(REPO, 'test/helpers/db-backup-run.ts'), join(dir, 'bun')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bun exited ${r.status}: ${r.stderr}`);
    const bun = JSON.parse(r.stdout) as Record<string, unknown>;
    const want = { copied: true, whole: true, refusesAnExistingFile: true };
    expect(node).toEqual({ driver: 'better-sqlite3', ...want });
    expect(bun).toEqual({ driver: 'bun:sqlite', ...want });
  });
});
