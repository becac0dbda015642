import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/state/db.ts';
import { REPO } from '../../helpers/cli.ts';
import { observeDbContract } from '../../helpers/db-contract.ts';

/** One contract for the database interface, observed through both drivers. */

const dir = mkdtempSync(join(tmpdir(), 'dokku-db-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function underNode(): Promise<Record<string, unknown>> {
  const db = await openDatabase(join(dir, 'node.db'));
  try {
    return observeDbContract(db);
  } finally {
    db.close();
  }
}

function underBun(): Record<string, unknown> {
  const r = spawnSync(join(REPO, 'node_modules/.bin/bun'), [join(REPO, 'test/helpers/db-contract.ts'), join(dir, 'bun.db')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bun exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('the database interface', () => {
  let node: Record<string, unknown>;
  let bun: Record<string, unknown>;
  beforeAll(async () => {
    node = await underNode();
    bun = underBun();
  });

  it('behaves the same over bun:sqlite and better-sqlite3', () => {
    expect(node.driver).toBe('better-sqlite3');
    expect(bun.driver).toBe('bun:sqlite');
    expect({ ...bun, driver: '' }).toEqual({ ...node, driver: '' });
  });

  it('keeps the promises the rest of the program relies on', () => {
    const seen = node;
    expect(seen).toMatchObject({
      pragmas: { journal: 'wal', synchronous: 2, foreignKeys: 1, busyAtLeastOneSecond: true },
      sameStatementForSameSql: true,
      insertChanges: 1,
      getRow: { id: 2, name: 'é ✓ 🚀 "quoted" \'single\' \n newline \0 nul', n: Number.MAX_SAFE_INTEGER, x: -0.25 },
      getMissingIsUndefined: true,
      all: [
        { id: 1, name: 'plain' },
        { id: 2, name: 'é ✓ 🚀 "quoted" \'single\' \n newline \0 nul' },
        { id: 3, name: '' },
      ],
      allNone: [],
      iterate: [{ id: 2 }, { id: 3 }],
      updateChanges: 2,
      aggregate: { c: 3, m: 3 },
      maxOfNothing: { m: null },
      afterGetOnWrite: { c: 2 },
      commit: 'returned',
      rethrowsSameError: true,
      constraintMessage: true,
      afterTransactions: [{ id: 1 }, { id: 2 }, { id: 10 }],
      usableAfterRollback: true,
    });
    expect(seen.getOnWrite).toBeUndefined();
  });
});
