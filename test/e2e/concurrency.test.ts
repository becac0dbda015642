import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, dbPath, eventRows, makeRoot, removeRoots, requireDist, run, STACK_TRACE, TARGETS, type Target } from '../helpers/cli.ts';

/**
 * Concurrent CLI processes on one database. To make them collide for certain, the test takes the
 * write lock itself, starts the processes (each reads the state and decides, then waits for the lock
 * on its append), and lets go: every writer but the first then finds the stream moved on.
 */

beforeAll(requireDist);
afterAll(removeRoots);

/** Holds SQLite's write lock until the returned function is called. */
function holdWriteLock(root: string): () => void {
  const db = new BetterSqlite3(dbPath(root), { timeout: 10_000 });
  db.exec('BEGIN IMMEDIATE');
  return () => {
    db.exec('COMMIT');
    db.close();
  };
}

/** Long enough for every process to start, read its state and reach its append. */
const settle = (target: Target) => sleep(target.name === 'node' ? 2500 : 1000);

describe.each(TARGETS)('concurrent CLI processes ($name)', (target: Target) => {
  it('concurrent config:set on one app all succeed (the CLI retries) and the log stays whole', async () => {
    const dokku = bindCli(target, makeRoot(`dokku-conc-${target.name}-`));
    dokku.ok('apps:create', 'web');
    const writers = 4;
    const release = holdWriteLock(dokku.root);
    const running = Array.from({ length: writers }, (_, i) => run(target, dokku.root, ['config:set', 'web', `KEY_${i}=value ${i}`]));
    await settle(target);
    release();
    const results = await Promise.all(running);
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^-----> Setting config vars\n {7}KEY_\d\n$/);
    }
    expect(dokku.ok('config:keys', 'web')).toBe('KEY_0\nKEY_1\nKEY_2\nKEY_3\n');
    for (let i = 0; i < writers; i++) expect(dokku.ok('config:get', 'web', `KEY_${i}`)).toBe(`value ${i}\n`);
    const rows = eventRows(dokku.root);
    expect(rows.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    expect(dokku.ok('events:verify')).toMatch(/^-----> Event log verified: 5 events, hash chain intact; head 5 [0-9a-f]{64}\n$/);
  });

  it('two config:set processes started together, round after round, both succeed', async () => {
    const dokku = bindCli(target, makeRoot(`dokku-conc-${target.name}-`));
    dokku.ok('apps:create', 'web');
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all(
        ['A', 'B'].map((k) => run(target, dokku.root, ['config:set', 'web', `${k}=${round}`])),
      );
      for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    }
    expect(dokku.ok('config:export', 'web', '--format', 'json')).toBe(`${JSON.stringify({ A: '4', B: '4' }, null, 2)}\n`);
    expect(dokku.ok('events:verify')).toMatch(new RegExp(`^-----> Event log verified: ${1 + 2 * rounds} events, hash chain intact; head ${1 + 2 * rounds} [0-9a-f]{64}\n$`));
  });

  it('two apps:create of one name at once: one creates it, the other is told the name is taken', async () => {
    const dokku = bindCli(target, makeRoot(`dokku-conc-${target.name}-`));
    dokku.ok('apps:list');
    const release = holdWriteLock(dokku.root);
    const running = [0, 1].map(() => run(target, dokku.root, ['apps:create', 'web']));
    await settle(target);
    release();
    const results = await Promise.all(running);
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, 1]);
    const loser = results.find((r) => r.code === 1)!;
    expect(loser.stderr).toBe(' !     Name is already taken: web\n');
    expect(loser.stderr).not.toMatch(STACK_TRACE);
    expect(dokku.ok('apps:list')).toBe('web\n');
    expect(eventRows(dokku.root)).toHaveLength(1);
  });

  it('a writer waits for a lock held briefly by another instead of failing', async () => {
    const dokku = bindCli(target, makeRoot(`dokku-conc-${target.name}-`));
    dokku.ok('apps:create', 'web');
    const release = holdWriteLock(dokku.root);
    const running = run(target, dokku.root, ['apps:lock', 'web']);
    await settle(target);
    release();
    const r = await running;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(dokku('apps:locked', 'web').code).toBe(0);
  });
});
