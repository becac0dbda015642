/**
 * Event-log scale benchmark. Prints, for logs of 1k, 100k and 1M events:
 *   - durable append rate (synchronous=FULL): one command per transaction as the CLI does it, and
 *     batched (1,000 events per transaction);
 *   - replay rate: rebuildProjections in-process (bun:sqlite) and `state:rebuild` as a whole process
 *     for the compiled binary and the Node bundle;
 *   - median latency of `apps:list` and `config:get` as whole CLI processes (compiled and Node);
 * then the 1M/1k latency ratios against the targets.
 *
 * Run: bun bench/state.ts [--sizes 1k,100k,1m] [--runs 25] [--keep]
 * Needs dist/ from `npm run build`. Every log holds the same 100 apps with about 20 keys each; only
 * the length of their history differs, so any growth in read latency is the history's doing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../src/state/db.ts';
import { decideConfig } from '../src/state/deciders.ts';
import { appStream, type DomainEvent } from '../src/state/events.ts';
import { execute } from '../src/state/execute.ts';
import { migrate } from '../src/state/migrate.ts';
import { getConfig } from '../src/state/queries.ts';
import { EventStore } from '../src/state/store.ts';

const REPO = resolve(import.meta.dirname, '..');
const TARGETS = [
  { name: 'compiled', command: join(REPO, 'dist/dokku'), args: [] as string[] },
  { name: 'node', command: process.env.NODE_BIN ?? 'node', args: [join(REPO, 'dist/dokku.mjs')] },
];
const APPS = 100;
const KEYS = 20;
const PROBE_APP = 'app-042';
const PROBE_KEY = 'K7';
const TARGET_RATIO = 1.3;
const TARGET_REPLAY = 200_000;
const TARGET_COMPILED_LIST_MS = 40;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const parseSize = (s: string): number => {
  const m = /^(\d+)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 } as Record<string, number>)[m[2]!.toLowerCase()]!;
};
const SIZES = option('sizes', '1k,100k,1m').split(',').map(parseSize);
const RUNS = Number(option('runs', '25'));
const KEEP = process.argv.includes('--keep');

for (const t of TARGETS) {
  if (!existsSync(t.args[0] ?? t.command)) {
    console.error(`${t.args[0] ?? t.command} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => n.toFixed(1);
const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/**
 * Writes `total` events: 100 AppCreated, then ConfigSet events spread evenly over the apps, each
 * app's share appended in one transaction through EventStore.append (hash chain and projections
 * included, as in normal operation, only in larger transactions).
 */
async function generateLog(path: string, total: number): Promise<number> {
  const started = performance.now();
  const db = await openDatabase(path);
  migrate(db);
  const store = new EventStore(db);
  const streams = Array.from({ length: APPS }, (_, a) => appStream(`bench-${String(a).padStart(3, '0')}`));
  for (let a = 0; a < APPS; a++) store.append(streams[a]!, 0, [{ type: 'AppCreated', data: { name: `app-${String(a).padStart(3, '0')}` } }], 'bench');
  const perApp = Math.floor((total - APPS) / APPS);
  let extra = total - APPS - perApp * APPS;
  for (let a = 0; a < APPS; a++) {
    let count = perApp + (extra-- > 0 ? 1 : 0);
    let version = 1;
    // At most 50k events per transaction to keep the WAL and memory modest.
    while (count > 0) {
      const n = Math.min(count, 50_000);
      const events: DomainEvent[] = Array.from({ length: n }, (_, i) => ({
        type: 'ConfigSet',
        data: { vars: { [`K${(version - 1 + i) % KEYS}`]: `value-${version + i}-${'x'.repeat(24)}` } },
      }));
      store.append(streams[a]!, version, events, 'bench');
      version += n;
      count -= n;
    }
  }
  const written = store.lastPosition();
  db.close();
  return written / ((performance.now() - started) / 1000);
}

/** Appends `commands` single-var config:set commands the way the CLI does: load, decide, append, one transaction each. */
async function appendPerCommand(path: string, commands: number): Promise<number> {
  const db = await openDatabase(path);
  const store = new EventStore(db);
  const app = db.prepare('SELECT id FROM apps WHERE name = ?').get<{ id: string }>(PROBE_APP)!;
  const started = performance.now();
  let appended = 0;
  for (let i = 0; i < commands; i++) {
    appended += execute(
      store,
      appStream(app.id),
      () => getConfig(db, app.id),
      (config) => decideConfig({ type: 'config:set', vars: { BENCH: `per-command-${i}-${Date.now()}` } }, config),
      'bench',
    ).length;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return appended / seconds;
}

async function appendBatched(path: string, transactions: number, perTransaction: number): Promise<number> {
  const db = await openDatabase(path);
  const store = new EventStore(db);
  const app = db.prepare('SELECT id FROM apps WHERE name = ?').get<{ id: string }>(PROBE_APP)!;
  const stream = appStream(app.id);
  const started = performance.now();
  for (let t = 0; t < transactions; t++) {
    const events: DomainEvent[] = Array.from({ length: perTransaction }, (_, i) => ({
      type: 'ConfigSet',
      data: { vars: { BATCH: `batch-${t}-${i}` } },
    }));
    store.append(stream, store.version(stream), events, 'bench');
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return (transactions * perTransaction) / seconds;
}

async function replayInProcess(path: string): Promise<{ events: number; rate: number }> {
  const db = await openDatabase(path);
  const store = new EventStore(db);
  const started = performance.now();
  const events = store.rebuildProjections();
  const rate = events / ((performance.now() - started) / 1000);
  db.close();
  return { events, rate };
}

/**
 * Runs one CLI process; wall time as the user sees it, and the child's own CPU time (user + system),
 * which a busy machine inflates far less than wall time.
 */
function runCli(target: (typeof TARGETS)[number], root: string, words: string[]): { ms: number; cpuMs: number; stdout: string } {
  const env = { ...process.env, DOKKU_ROOT: root, NAME: 'bench' };
  const started = performance.now();
  if (typeof Bun !== 'undefined') {
    const r = Bun.spawnSync([target.command, ...target.args, ...words], { env, stdout: 'pipe', stderr: 'pipe' });
    const ms = performance.now() - started;
    if (r.exitCode !== 0) throw new Error(`${target.name} ${words.join(' ')} exited ${r.exitCode}: ${r.stderr.toString()}`);
    return { ms, cpuMs: Number(r.resourceUsage.cpuTime.total) / 1000, stdout: r.stdout.toString() };
  }
  const r = spawnSync(target.command, [...target.args, ...words], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${target.name} ${words.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpuMs: Number.NaN, stdout: r.stdout };
}

function latency(target: (typeof TARGETS)[number], root: string, words: string[], expected: RegExp): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const { ms, cpuMs, stdout } = runCli(target, root, words);
    if (!expected.test(stdout)) throw new Error(`${target.name} ${words.join(' ')} printed ${JSON.stringify(stdout.slice(0, 200))}`);
    if (i >= 3) {
      wall.push(ms);
      cpu.push(cpuMs);
    }
  }
  return { wall, cpu };
}

interface SizeResult {
  size: number;
  dbMB: number;
  generateRate: number;
  appendPerCommand: number;
  appendBatched: number;
  replay: number;
  replayCli: Record<string, number>;
  medians: Record<string, number>;
  p90s: Record<string, number>;
  mins: Record<string, number>;
  cpus: Record<string, number>;
}

const results: SizeResult[] = [];
const scratch = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'dokku-bench-'));
console.log(`dokku event-log benchmark: sizes ${SIZES.map(label).join(', ')}, ${RUNS} timed runs per command (after 3 warm-up runs)`);
console.log(`runtime ${typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`}, scratch ${scratch}\n`);

try {
  for (const size of SIZES) {
    const root = join(scratch, label(size));
    const path = join(root, 'dokku.db');
    const generateRate = await generateLog(path, size);
    const dbMB = statSync(path).size / 1e6;

    const { events, rate: replay } = await replayInProcess(path);
    if (events !== size) throw new Error(`expected ${size} events, found ${events}`);
    const replayCli: Record<string, number> = {};
    for (const t of TARGETS) {
      const { ms, stdout } = runCli(t, root, ['state:rebuild']);
      if (!stdout.includes(`from ${size} events`)) throw new Error(`state:rebuild printed ${stdout}`);
      replayCli[t.name] = size / (ms / 1000);
    }

    const medians: Record<string, number> = {};
    const p90s: Record<string, number> = {};
    const mins: Record<string, number> = {};
    const cpus: Record<string, number> = {};
    for (const t of TARGETS) {
      for (const [cmd, words, expected] of [
        ['apps:list', ['apps:list'], /^=====> My Apps\napp-000\n[\s\S]*app-099\n$/],
        ['config:get', ['config:get', PROBE_APP, PROBE_KEY], /^value-\d+-x+\n$/],
      ] as const) {
        const { wall, cpu } = latency(t, root, [...words], expected);
        medians[`${t.name} ${cmd}`] = median(wall);
        p90s[`${t.name} ${cmd}`] = percentile(wall, 0.9);
        mins[`${t.name} ${cmd}`] = Math.min(...wall);
        cpus[`${t.name} ${cmd}`] = median(cpu);
      }
    }

    // Appends last, so the reads above saw exactly `size` events.
    const perCommand = await appendPerCommand(path, 300);
    const batched = await appendBatched(path, 20, 1000);
    const r: SizeResult = { size, dbMB, generateRate, appendPerCommand: perCommand, appendBatched: batched, replay, replayCli, medians, p90s, mins, cpus };
    results.push(r);

    console.log(`── ${label(size)} events (${dbMB.toFixed(1)} MB database; generated at ${fmtInt(generateRate)} events/s)`);
    console.log(`   durable append, one command per transaction : ${fmtInt(perCommand)} events/s`);
    console.log(`   durable append, 1,000 events per transaction: ${fmtInt(batched)} events/s`);
    console.log(`   replay (rebuildProjections, bun:sqlite)     : ${fmtInt(replay)} events/s`);
    for (const t of TARGETS) console.log(`   replay (state:rebuild process, ${t.name.padEnd(8)})  : ${fmtInt(replayCli[t.name]!)} events/s`);
    for (const k of Object.keys(medians)) {
      console.log(
        `   ${k.padEnd(20)} median ${fmtMs(medians[k]!).padStart(6)} ms   p90 ${fmtMs(p90s[k]!).padStart(6)} ms   min ${fmtMs(mins[k]!).padStart(6)} ms   cpu median ${fmtMs(cpus[k]!).padStart(6)} ms`,
      );
    }
    console.log('');
    if (!KEEP) rmSync(root, { recursive: true, force: true });
  }

  const first = results[0]!;
  const last = results.at(-1)!;
  console.log(`── Summary (${label(last.size)} vs ${label(first.size)})`);
  console.log(`   ${'median wall time'.padEnd(20)} ${label(first.size).padStart(8)} ${label(last.size).padStart(8)}   ratio     (cpu time ratio)`);
  let ok = true;
  for (const k of Object.keys(first.medians)) {
    const ratio = last.medians[k]! / first.medians[k]!;
    const pass = ratio <= TARGET_RATIO;
    ok &&= pass;
    const cpuRatio = last.cpus[k]! / first.cpus[k]!;
    console.log(
      `   ${k.padEnd(20)} ${fmtMs(first.medians[k]!).padStart(6)}ms ${fmtMs(last.medians[k]!).padStart(6)}ms   ${ratio.toFixed(2)}  ${pass ? 'ok    ' : 'MISSED'}  (${cpuRatio.toFixed(2)})`,
    );
  }
  // Replay is judged on the longest log: on a short one, fixed costs (emptying tables, preparing
  // statements) dominate a rebuild that takes milliseconds.
  const replayOk = last.replay >= TARGET_REPLAY;
  console.log(`   replay at ${label(last.size)}: ${fmtInt(last.replay)} events/s  ${replayOk ? 'ok' : 'MISSED'} (≥ ${fmtInt(TARGET_REPLAY)})`);
  const worstList = Math.max(...results.map((r) => r.medians['compiled apps:list']!));
  const listOk = worstList <= TARGET_COMPILED_LIST_MS;
  console.log(`   compiled apps:list, slowest size: ${fmtMs(worstList)} ms median  ${listOk ? 'ok' : 'MISSED'} (≤ ${TARGET_COMPILED_LIST_MS} ms)`);
  process.exitCode = ok && replayOk && listOk ? 0 : 1;
} finally {
  if (!KEEP) rmSync(scratch, { recursive: true, force: true });
  else console.log(`kept ${scratch}`);
}
