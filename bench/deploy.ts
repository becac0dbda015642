/**
 * Deploy benchmark, on the real Docker engine with the compiled `dist/dokku` and a temporary
 * DOKKU_ROOT. For the node sample (test/fixtures/apps/node, one npm dependency) it prints:
 *   - source-to-serving seconds, cold (a fresh app, empty build cache) and warm (a code change with
 *     the dependencies cached), each split into platform overhead, buildpack compile, and boot plus
 *     checks; and when the command itself returned;
 *   - `config:set` to the first response showing the new value;
 *   - requests failed during redeploys under continuous load (autocannon on loopback).
 *
 * "Serving" is seen the way nginx will see it: a small HTTP forwarder in this process sends every
 * request to the app's current upstream as recorded in the database (app_runtime.upstreams), one
 * upstream connection per request, and answers 502 when the upstream fails, as nginx does.
 *
 * The split comes from what the pipeline records: the events' timestamps (BuildStarted,
 * BuildSucceeded, DeployStarted, TrafficSwitched) and the arrival time of the build output's step
 * lines (`-----> … app detected`, `Discovering process types`, `Starting v…`, `Running checks`).
 *   compile      = `app detected` → `Discovering process types` (the buildpack's bin/compile)
 *   boot+checks  = `Starting v…` → TrafficSwitched (container create and start, the app's boot, checks)
 *   platform     = everything else: CLI start, build container, copying the source, detect,
 *                  bin/release, commit, events, and the forwarder noticing the new upstream
 *
 * Run: bun bench/deploy.ts [--cold 1] [--warm 3] [--config 3] [--redeploys 5] [--rate 50] [--keep]
 * Needs dist/ from `npm run build`, a Docker daemon, the stack image (built here if missing, once,
 * about a minute), and the npm registry for the cold build.
 */
import { Database } from 'bun:sqlite';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import Docker from 'dockerode';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = process.env.DOKKU_BIN ?? join(REPO, 'dist/dokku');
const SAMPLE = join(REPO, 'test/fixtures/apps/node');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} wants a whole number`);
  return v;
}
const COLD_RUNS = option('cold', 1);
const WARM_RUNS = option('warm', 3);
const CONFIG_RUNS = option('config', 3);
const REDEPLOYS = option('redeploys', 5);
const RATE = option('rate', 50);
const KEEP = process.argv.includes('--keep');

const TARGETS = { warm: 2.5, cold: 5, config: 1.5, platform: 0.3, failed: 0 };
const PIKU = { warm: 2.6, cold: 4.7, config: 3.5, failedPerRedeploy: 130 };

if (!existsSync(DOKKU)) {
  console.error(`${DOKKU} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'bench-deploy-'));
const root = join(work, 'root');
const scratch = join(work, 'src');
mkdirSync(root);
mkdirSync(scratch);
const apps: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(2);
const uniqueApp = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

// ── The CLI as a real process, every output line stamped with its arrival time ─────────────────

interface Line {
  at: number;
  text: string;
}
interface CliRun {
  started: number;
  exited: number;
  code: number;
  lines: Line[];
  stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOKKU_') && k !== 'NAME' && k !== 'SSH_ORIGINAL_COMMAND') env[k] = v;
  return { ...env, DOKKU_ROOT: root };
}

function dokku(...words: string[]): Promise<CliRun> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn(DOKKU, words, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const at = Date.now();
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push({ at, text: buf.slice(0, i) });
        buf = buf.slice(i + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => {
      if (buf) lines.push({ at: Date.now(), text: buf });
      done({ started, exited: Date.now(), code: code ?? 1, lines, stderr });
    });
  });
}

async function ok(...words: string[]): Promise<CliRun> {
  const r = await dokku(...words);
  if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\n${r.lines.map((l) => l.text).join('\n')}\n${r.stderr}`);
  return r;
}

// ── The database, read as the proxy will read it ───────────────────────────────────────────────

let db: Database | undefined;
function database(): Database {
  db ??= new Database(join(root, 'dokku.db'), { readonly: true });
  return db;
}

function upstreamOf(app: string): { host: string; port: number } | undefined {
  const row = database()
    .query('SELECT r.upstreams AS upstreams FROM app_runtime r JOIN apps a ON a.id = r.app_id WHERE a.name = ?')
    .get(app) as { upstreams: string } | null;
  const ups = row ? (JSON.parse(row.upstreams) as Array<{ host: string; port: number }>) : [];
  return ups[0];
}

interface EventRow {
  position: number;
  type: string;
  data: Record<string, unknown>;
  at: number;
}

function eventsSince(app: string, position: number): EventRow[] {
  const rows = database()
    .query("SELECT e.position, e.type, e.data, e.at FROM events e JOIN apps a ON e.stream = 'app/' || a.id WHERE a.name = ? AND e.position > ? ORDER BY e.position")
    .all(app, position) as Array<{ position: number; type: string; data: string; at: string }>;
  return rows.map((r) => ({ position: r.position, type: r.type, data: JSON.parse(r.data), at: Date.parse(r.at) }));
}

function lastPosition(): number {
  return (database().query('SELECT max(position) AS p FROM events').get() as { p: number | null }).p ?? 0;
}

// ── The forwarder standing in for nginx: each request to the app's current upstream ───────────

function startForwarder(app: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    const up = upstreamOf(app());
    const fail = () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway\n');
    };
    if (!up) return fail();
    const upstream = request({ host: up.host, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, connection: 'close' }, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.setTimeout(60_000, () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', fail);
    req.pipe(upstream);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => done({ status: 0, body: '' }));
    req.end();
  });
}

/** Resolves with the time of the first response through the forwarder whose body contains `marker`. */
async function servedAt(port: number, marker: string, giveUp: () => boolean): Promise<number | undefined> {
  for (;;) {
    const r = await get(port);
    if (r.status === 200 && r.body.includes(marker)) return Date.now();
    if (giveUp()) return undefined;
    await sleep(10);
  }
}

// ── Sources ────────────────────────────────────────────────────────────────────────────────────

let revision = 0;
/** The node sample as a tar, its answer changed so a deploy of it can be told apart: a code change. */
function sampleTar(): { tar: string; marker: string } {
  const rev = `rev-${++revision}`;
  const dir = join(scratch, rev);
  cpSync(SAMPLE, dir, { recursive: true });
  const server = join(dir, 'server.js');
  writeFileSync(server, readFileSync(server, 'utf8').replace('node sample:', `node sample ${rev}:`));
  const tar = join(scratch, `${rev}.tar`);
  const r = spawnSync('tar', ['-C', dir, '-cf', tar, '.']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return { tar, marker: `node sample ${rev}:` };
}

// ── One measured deploy ────────────────────────────────────────────────────────────────────────

interface Measured {
  total: number;
  returned: number;
  compile: number;
  bootChecks: number;
  platform: number;
  /** Named parts of the platform overhead (and of boot+checks), for the detail lines. */
  parts: Array<[string, number]>;
}

async function measure(app: string, port: number, marker: string, words: string[]): Promise<Measured> {
  const from = lastPosition();
  let exited = false;
  const run = dokku(...words).finally(() => (exited = true));
  const served = servedAt(port, marker, () => exited);
  const [r, at] = await Promise.all([run, served]);
  if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\n${r.lines.map((l) => l.text).join('\n')}\n${r.stderr}`);
  const servedTime = at ?? (await servedAt(port, marker, () => true));
  if (servedTime === undefined) throw new Error(`${marker} was never served after dokku ${words.join(' ')}`);

  const events = eventsSince(app, from);
  const event = (type: string) => events.find((e) => e.type === type);
  const line = (re: RegExp) => r.lines.find((l) => re.test(l.text))?.at;
  const switched = event('TrafficSwitched')!.at;
  const deployStarted = event('DeployStarted')!.at;
  const starting = line(/^-----> Starting v/)!;
  const checking = line(/^-----> (Running|Skipping) checks/) ?? starting;
  const total = servedTime - r.started;
  const bootChecks = switched - starting;
  const boot: Array<[string, number]> = [
    ['container create+start', checking - starting],
    ['app boot + checks', switched - checking],
  ];

  const buildStarted = event('BuildStarted');
  if (!buildStarted) {
    const platform = total - bootChecks;
    return {
      total,
      returned: r.exited - r.started,
      compile: 0,
      bootChecks,
      platform,
      parts: [
        ['CLI start, config events', deployStarted - r.started],
        ['deploy setup', starting - deployStarted],
        ['switch → served', servedTime - switched],
        ...boot,
      ],
    };
  }
  const buildDone = event('BuildSucceeded')!;
  const detected = line(/^-----> .* app detected$/)!;
  const discovered = line(/^-----> Discovering process types/)!;
  const compile = discovered - detected;
  return {
    total,
    returned: r.exited - r.started,
    compile,
    bootChecks,
    platform: total - compile - bootChecks,
    parts: [
      ['CLI start → BuildStarted', buildStarted.at - r.started],
      ['build container, source copy, detect', detected - buildStarted.at],
      ['bin/release, commit, BuildSucceeded', buildDone.at - discovered],
      ['release + deploy setup', starting - buildDone.at],
      ['switch → served', servedTime - switched],
      ...boot,
    ],
  };
}

function report(title: string, runs: Measured[], target: number, peer: number): number {
  const pick = (f: (m: Measured) => number) => median(runs.map(f));
  const total = pick((m) => m.total);
  const verdict = (v: number, t: number) => (v <= t * 1000 ? 'ok' : 'MISSED');
  console.log(`── ${title}: ${sec(total)} s to serving (median of ${runs.length}; command returned after ${sec(pick((m) => m.returned))} s)`);
  console.log(`   runs            ${runs.map((m) => sec(m.total)).join(', ')} s`);
  console.log(`   platform        ${sec(pick((m) => m.platform)).padStart(5)} s   ${verdict(pick((m) => m.platform), TARGETS.platform)} (≤ ${TARGETS.platform})`);
  const parts = runs[0]!.parts.map(([name], i) => [name, median(runs.map((m) => m.parts[i]![1]))] as const);
  const bootNames = new Set(['container create+start', 'app boot + checks']);
  for (const [name, v] of parts.filter(([n]) => !bootNames.has(n))) console.log(`     ${name.padEnd(38)} ${sec(v)}`);
  if (runs.some((m) => m.compile > 0)) console.log(`   compile         ${sec(pick((m) => m.compile)).padStart(5)} s`);
  console.log(`   boot + checks   ${sec(pick((m) => m.bootChecks)).padStart(5)} s`);
  for (const [name, v] of parts.filter(([n]) => bootNames.has(n))) console.log(`     ${name.padEnd(38)} ${sec(v)}`);
  console.log(`   target ≤ ${target} s: ${verdict(total, target)}   (Piku ${peer} s)\n`);
  return total;
}

// ── Redeploys under load ───────────────────────────────────────────────────────────────────────

async function underLoad(app: string, port: number): Promise<{ total: number; ok: number; non2xx: number; errors: number; timeouts: number; deploys: number[] }> {
  const load = autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, overallRate: RATE, duration: 3600, timeout: 10 });
  await sleep(1000);
  const deploys: number[] = [];
  for (let i = 0; i < REDEPLOYS; i++) {
    const { tar } = sampleTar();
    const r = await ok('git:from-archive', app, tar);
    deploys.push(r.exited - r.started);
  }
  await sleep(1000);
  load.stop();
  const res = await load;
  return { total: res.requests.total, ok: res['2xx'], non2xx: res.non2xx, errors: res.errors, timeouts: res.timeouts, deploys };
}

// ── Main ───────────────────────────────────────────────────────────────────────────────────────

async function cleanup(): Promise<void> {
  db?.close();
  db = undefined;
  if (KEEP) {
    console.log(`kept ${root} (apps ${apps.join(', ')})`);
    return;
  }
  for (const app of apps) {
    const r = await dokku('apps:destroy', app, '--force').catch(() => undefined);
    if (r?.code !== 0) await removeFromDocker(app);
  }
  rmSync(work, { recursive: true, force: true });
}

/** When the CLI cannot destroy an app (its root is gone), what it left in Docker goes directly. */
async function removeFromDocker(app: string): Promise<void> {
  const docker = new Docker(process.env.DOCKER_HOST ? undefined : { socketPath: '/var/run/docker.sock' });
  for (const c of await docker.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  for (const i of await docker.listImages({ filters: { reference: [`dokku/${app}`] } })) await docker.getImage(i.Id).remove({ force: true }).catch(() => {});
  await docker.getVolume(`dokku-cache-${app}`).remove().catch(() => {});
}

async function main(): Promise<void> {
  console.log(`dokku deploy benchmark: node sample (one npm dependency), ${DOKKU}`);
  console.log(`DOKKU_ROOT ${root}; cold ×${COLD_RUNS}, warm ×${WARM_RUNS}, config ×${CONFIG_RUNS}, ${REDEPLOYS} redeploys at ${RATE} req/s\n`);
  await ok('stack:build');

  const main = uniqueApp('bench-node');
  let current = main;
  const server = await startForwarder(() => current);
  const port = (server.address() as AddressInfo).port;
  try {
    const cold: Measured[] = [];
    for (let i = 0; i < Math.max(1, COLD_RUNS); i++) {
      // A fresh app each time: no build cache volume, no npm cache, nothing running before.
      current = i === 0 ? main : uniqueApp('bench-cold');
      apps.push(current);
      await ok('apps:create', current);
      const { tar, marker } = sampleTar();
      cold.push(await measure(current, port, marker, ['git:from-archive', current, tar]));
      if (current !== main) {
        if ((await dokku('apps:destroy', current, '--force')).code !== 0) await removeFromDocker(current);
        apps.pop();
      }
    }
    current = main;

    const warm: Measured[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const { tar, marker } = sampleTar();
      warm.push(await measure(main, port, marker, ['git:from-archive', main, tar]));
    }

    const config: Measured[] = [];
    for (let i = 0; i < CONFIG_RUNS; i++) {
      const value = `bench-${i + 1}-${Date.now()}`;
      config.push(await measure(main, port, `MESSAGE=${value}`, ['config:set', main, `MESSAGE=${value}`]));
    }

    const loaded = REDEPLOYS > 0 ? await underLoad(main, port) : undefined;

    console.log('');
    report('cold deploy (fresh app, empty build cache)', cold, TARGETS.cold, PIKU.cold);
    if (warm.length) report('warm deploy (code change, dependencies cached)', warm, TARGETS.warm, PIKU.warm);
    if (config.length) report('config:set → new value served', config, TARGETS.config, PIKU.config);
    if (loaded) {
      const failed = loaded.non2xx + loaded.errors + loaded.timeouts;
      console.log(`── ${REDEPLOYS} redeploys under load (autocannon, ${RATE} req/s, 10 connections, through the forwarder)`);
      console.log(`   requests ${loaded.total}: 2xx ${loaded.ok}, non-2xx ${loaded.non2xx}, errors ${loaded.errors}, timeouts ${loaded.timeouts}`);
      console.log(`   redeploy commands took ${loaded.deploys.map((d) => sec(d)).join(', ')} s`);
      console.log(`   failed requests ${failed} (${(failed / REDEPLOYS).toFixed(1)} per redeploy): ${failed <= TARGETS.failed ? 'ok' : 'MISSED'} (target ${TARGETS.failed}; Piku ~${PIKU.failedPerRedeploy} per redeploy)`);
    }
  } finally {
    server.close();
    await cleanup();
  }
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

await main();
