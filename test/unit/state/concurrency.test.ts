import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/state/db.ts';
import { GLOBAL_STREAM } from '../../../src/state/events.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { EventStore } from '../../../src/state/store.ts';
import { REPO } from '../../helpers/cli.ts';

/**
 * Separate OS processes, each with its own connection, append to one stream at the same expected
 * version at the same moment: exactly one may win, the other must get the ConcurrencyError.
 * Writers run under Bun (bun:sqlite) and under Node (better-sqlite3), alone and mixed.
 */

const BUN = join(REPO, 'node_modules/.bin/bun');
const WORKER_TS = join(REPO, 'test/helpers/append-worker.ts');
let build: string;
let workerMjs: string;
let dir: string;

beforeAll(() => {
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  // Under the repository so the bundle resolves better-sqlite3 from node_modules.
  build = mkdtempSync(join(REPO, '.tmp/append-worker-'));
  workerMjs = join(build, 'append-worker.mjs');
  const r = spawnSync(
    BUN,
    ['build', WORKER_TS, '--target=node', '--format=esm', '--external=better-sqlite3', '--external=bun:sqlite', `--outfile=${workerMjs}`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`bundling the append worker for Node failed:\n${r.stderr}${r.stdout}`);
  dir = mkdtempSync(join(tmpdir(), 'dokku-concurrency-'));
});

afterAll(() => {
  rmSync(build, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

type Runtime = 'bun' | 'node';

interface Outcome {
  result: 'appended' | 'conflict';
  driver: string;
  name?: string;
  expected?: number;
  actual?: number;
  version?: number;
}

function startWriter(runtime: Runtime, args: string[]): { ready: Promise<void>; done: Promise<Outcome> } {
  const child =
    runtime === 'bun' ? spawn(BUN, [WORKER_TS, ...args], { stdio: 'pipe' }) : spawn(process.execPath, [workerMjs, ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${runtime} writer exited ${code}: ${stderr}${stdout}`));
      else resolve(JSON.parse(last) as Outcome);
    });
  });
  return { ready, done };
}

const PAIRS: Array<[Runtime, Runtime]> = [
  ['bun', 'bun'],
  ['node', 'node'],
  ['bun', 'node'],
  ['node', 'bun'],
];

describe.each(PAIRS)('two writers at one expected version (%s and %s)', (first, second) => {
  it('exactly one appends and the other gets the ConcurrencyError, round after round', async () => {
    const path = join(dir, `${first}-${second}.db`);
    const db = await openDatabase(path);
    migrate(db);
    const store = new EventStore(db);
    store.append(GLOBAL_STREAM, 0, [{ type: 'ConfigSet', data: { vars: { START: '1' } } }], 'setup');
    db.close();

    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const expected = 1 + round;
      const go = join(dir, `${first}-${second}-go-${round}`);
      const writers = [first, second].map((rt, i) => startWriter(rt, [path, GLOBAL_STREAM, String(expected), go, `${rt}-${i}`]));
      await Promise.all(writers.map((w) => w.ready));
      writeFileSync(go, '');
      const outcomes = await Promise.all(writers.map((w) => w.done));
      const winners = outcomes.filter((o) => o.result === 'appended');
      const losers = outcomes.filter((o) => o.result === 'conflict');
      expect(winners, `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(winners[0]!.version).toBe(expected + 1);
      expect(losers[0]).toMatchObject({ name: 'ConcurrencyError', expected, actual: expected + 1 });
      expect(outcomes.map((o) => o.driver)).toEqual([first, second].map((rt) => (rt === 'bun' ? 'bun:sqlite' : 'better-sqlite3')));
    }

    const check = await openDatabase(path);
    try {
      const after = new EventStore(check);
      expect(after.verify()).toMatchObject({ ok: true, count: 1 + rounds });
      expect(after.read(GLOBAL_STREAM).map((e) => e.version)).toEqual(Array.from({ length: 1 + rounds }, (_, i) => i + 1));
    } finally {
      check.close();
    }
  });
});
