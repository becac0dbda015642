/**
 * Runs the built CLI as real processes: the compiled single binary (bun:sqlite inside) and the Node
 * bundle (better-sqlite3), each on its own temporary DOKKU_ROOT, and reads the resulting database
 * directly so a test can tell whether anything was appended.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export const REPO = resolve(import.meta.dirname, '../..');
export const DIST_BIN = join(REPO, 'dist/dokku');
export const DIST_MJS = join(REPO, 'dist/dokku.mjs');

export interface Target {
  name: 'compiled' | 'node';
  driver: 'bun:sqlite' | 'better-sqlite3';
  command: string;
  args: string[];
}

export const TARGETS: Target[] = [
  { name: 'compiled', driver: 'bun:sqlite', command: DIST_BIN, args: [] },
  { name: 'node', driver: 'better-sqlite3', command: process.execPath, args: [DIST_MJS] },
];

/** The end-to-end suites test what `npm run build` produced; without it they cannot mean anything. */
export function requireDist(): void {
  const missing = [DIST_BIN, DIST_MJS].filter((p) => !existsSync(p));
  if (missing.length) {
    throw new Error(`${missing.join(' and ')} missing: run \`npm run build\` first (\`npm test\` builds before running vitest)`);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment: NAME for the actor, SSH_ORIGINAL_COMMAND for the SSH entry. */
  env?: Record<string, string>;
  input?: string;
}

/** The child's environment: only what the test says, never a stray DOKKU_* or NAME of the caller's. */
export function childEnv(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('DOKKU_') || k === 'NAME' || k === 'SSH_ORIGINAL_COMMAND' || k === 'FINGERPRINT') continue;
    env[k] = v;
  }
  // Storage entries of a test stay inside its root, never under the host's /var/lib/dokku.
  return { ...env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib'), ...extra };
}

export function runSync(target: Target, root: string, words: string[], options: RunOptions = {}): RunResult {
  const r = spawnSync(target.command, [...target.args, ...words], {
    env: childEnv(root, options.env),
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Bytes in, bytes out: a dump piped into an import, or an export's stdout kept as a Buffer. */
export function runBytes(target: Target, root: string, words: string[], options: { env?: Record<string, string>; input?: Buffer } = {}): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(target.command, [...target.args, ...words], { env: childEnv(root, options.env), input: options.input ?? Buffer.alloc(0), maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString() };
}

export function run(target: Target, root: string, words: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(target.command, [...target.args, ...words], { env: childEnv(root, options.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one target and one root, for tests that issue many commands. */
export interface Cli {
  target: Target;
  root: string;
  (...words: string[]): RunResult;
  with(options: RunOptions, ...words: string[]): RunResult;
  /** Runs and fails the test unless the command exits 0; returns stdout. */
  ok(...words: string[]): string;
}

export function bindCli(target: Target, root: string): Cli {
  const cli = ((...words: string[]) => runSync(target, root, words)) as Cli;
  cli.target = target;
  cli.root = root;
  cli.with = (options, ...words) => runSync(target, root, words, options);
  cli.ok = (...words) => {
    const r = runSync(target, root, words);
    if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  return cli;
}

const roots: string[] = [];

export function makeRoot(prefix = 'dokku-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  roots.push(root);
  return root;
}

export function removeRoots(): void {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
}

export const dbPath = (root: string): string => join(root, 'dokku.db');

/** Reads the database directly, outside the program under test. */
export function withDb<T>(root: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(dbPath(root), { fileMustExist: true, timeout: 10_000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface Fingerprint {
  events: number;
  digest: string;
}

/**
 * What must not change when a command is refused: every event row and every table's contents.
 * A root whose database does not exist yet has the empty fingerprint.
 */
export function fingerprint(root: string): Fingerprint {
  if (!existsSync(dbPath(root))) return { events: 0, digest: 'no database' };
  return withDb(root, (db) => {
    const hash = createHash('sha256');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as Array<{ name: string }>;
    for (const { name } of tables) {
      hash.update(`table ${name}\n`);
      const rows = db.prepare(`SELECT * FROM "${name}"`).all().map((r) => JSON.stringify(r)).sort();
      for (const row of rows) hash.update(`${row}\n`);
    }
    const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    return { events: n, digest: hash.digest('hex') };
  });
}

/** Every projection row (everything but the log itself), to show that a refusal changed nothing. */
export function projectionRows(root: string): string {
  return withDb(root, (db) => {
    const tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('events', 'schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as Array<{ name: string }>
    ).map((t) => t.name);
    return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  });
}

export interface EventRow {
  position: number;
  stream: string;
  version: number;
  type: string;
  data: string;
  actor: string;
  at: string;
  hash: string;
}

export function eventRows(root: string): EventRow[] {
  return withDb(root, (db) => db.prepare('SELECT * FROM events ORDER BY position').all() as EventRow[]);
}

/** A user error as the CLI prints it: one ` !     ` line, perhaps a usage line, never a stack. */
export function errorLines(stderr: string): { errors: string[]; others: string[] } {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return { errors: lines.filter((l) => l.startsWith(' !     ')), others: lines.filter((l) => !l.startsWith(' !     ')) };
}

export const STACK_TRACE = /^\s+at .+(\(|:\d+)/m;

/**
 * Runs a command with its stdout on a terminal (a pty from `script`), as a person at a shell sees
 * it; piped, dokku leaves out listing and report titles. The pty joins stderr to stdout.
 */
export function onTerminal(target: Target, root: string, words: string[], env: Record<string, string> = {}): RunResult {
  const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
  const command = [target.command, ...target.args, ...words].map(quote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { env: childEnv(root, env), input: '', encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout.replace(/\r\n/g, '\n'), stderr: r.stderr };
}
