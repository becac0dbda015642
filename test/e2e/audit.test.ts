/**
 * The audit log and the database, end to end on both builds: what a key sees of a renamed-away
 * app's history, control characters in printed output, and every way the database file or the
 * output pipe can go wrong giving one line instead of a stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/state/db.ts';
import { migrate } from '../../src/state/migrate.ts';
import { EventStore } from '../../src/state/store.ts';
import { STACK_TRACE, TARGETS, bindCli, childEnv, dbPath, errorLines, eventRows, makeRoot, removeRoots, requireDist, withDb, type Cli, type RunResult, type Target } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';

beforeAll(() => requireDist());
afterAll(() => removeRoots());

/** The call a key's forced command makes: no argv, the words in SSH_ORIGINAL_COMMAND. */
const asKey = (cli: Cli, key: KeyPair, name: string, command: string): RunResult =>
  cli.with({ env: { NAME: name, FINGERPRINT: key.fingerprint, SSH_ORIGINAL_COMMAND: command } });

/** Exit 1, exactly one ` !     ` line on stderr and nothing else, no stack trace. */
function expectOneLine(r: RunResult, pattern: RegExp): void {
  expect(r.stderr, r.stderr).not.toMatch(STACK_TRACE);
  const { errors, others } = errorLines(r.stderr);
  expect(others, r.stderr).toEqual([]);
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.code, r.stderr).toBe(1);
}

/** Appends `n` refusals to the log directly, so a test has a long log without n processes. */
async function appendMany(root: string, n: number): Promise<void> {
  const db = await openDatabase(dbPath(root));
  migrate(db);
  const store = new EventStore(db);
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => ({
      type: 'AccessDenied' as const,
      data: { key: 'mallory', fingerprint: 'SHA256:x', command: 'apps:list', reason: `filler ${i + j}` },
    }));
    store.append('access', store.version('access'), batch as never, 'test');
  }
  db.close();
}

const ESC_WORD = '\x1b[2J\r\x07\u009b31m\x7fevil';

describe.each(TARGETS)('audit log as a key ($name)', (target: Target) => {
  const scratch = makeRoot('dokku-audit-keys-');
  const cli = bindCli(target, makeRoot('dokku-audit-'));
  let alice: KeyPair;
  let bob: KeyPair;

  beforeAll(() => {
    alice = makeKeyPair(scratch, 'alice');
    bob = makeKeyPair(scratch, 'bob');
    cli.ok('ssh-keys:add', 'alice', alice.pub);
    cli.ok('ssh-keys:add', 'bob', bob.pub);
    // x's first life: secrets set before and after the rename belong to x-old.
    cli.ok('apps:create', 'x');
    cli.ok('config:set', '--no-restart', 'x', 'OLD_SECRET_KEY=1');
    cli.ok('apps:rename', 'x', 'x-old');
    cli.ok('config:set', '--no-restart', 'x-old', 'AFTER_RENAME_KEY=1');
    // The new x is bob's.
    cli.ok('apps:create', 'x');
    cli.ok('acl:add', 'x', 'bob');
    cli.ok('config:set', '--no-restart', 'x', 'BOBS_KEY=1');
  });

  it("hole 7: `events x` as the key shows only the x it holds now, not x-old's history", () => {
    const json = asKey(cli, bob, 'bob', 'events x --format json');
    expect(json.code, json.stderr).toBe(0);
    const entries = JSON.parse(json.stdout) as Array<{ app: string; type: string; summary: string }>;
    expect(entries.map((e) => e.type)).toEqual(['AppCreated', 'ConfigSet']);
    expect(entries.every((e) => e.app === 'x')).toBe(true);
    const text = asKey(cli, bob, 'bob', 'events x');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('BOBS_KEY');
    expect(text.stdout).not.toMatch(/OLD_SECRET_KEY|AFTER_RENAME_KEY|x-old|Renamed/);
  });

  it('hole 7: `events` with no app, as the key, shows only the streams of the apps it holds', () => {
    const r = asKey(cli, bob, 'bob', 'events --format json');
    expect(r.code, r.stderr).toBe(0);
    const entries = JSON.parse(r.stdout) as Array<{ app: string; type: string }>;
    expect(entries.map((e) => [e.app, e.type])).toEqual([
      ['x', 'AppCreated'],
      ['x', 'ConfigSet'],
    ]);
    // Other keys' refusals and grants live outside bob's apps: not his to read.
    expect(asKey(cli, bob, 'bob', 'events').stdout).not.toMatch(/alice|Gave key|x-old/);
  });

  it("hole 7: an admin still reads x-old's history under the old name", () => {
    const local = JSON.parse(cli.ok('events', 'x', '--format', 'json')) as Array<{ app: string; type: string }>;
    expect(local.map((e) => e.type)).toEqual(expect.arrayContaining(['AppRenamed', 'AppCreated', 'ConfigSet']));
    expect(local.some((e) => e.app === 'x-old')).toBe(true);
    const asAdmin = asKey(cli, alice, 'alice', 'events x');
    expect(asAdmin.code, asAdmin.stderr).toBe(0);
    expect(asAdmin.stdout).toContain('Renamed x to x-old');
  });

  it('hole 8: a refused word with terminal escapes is shown escaped, kept raw in the log', () => {
    const r = asKey(cli, bob, 'bob', `events '${ESC_WORD}'`);
    expectOneLine(r, /^ !     Access denied for key bob: /);
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(r.stderr).toContain('\\x1b[2J\\x0d\\x07\\x9b31m\\x7fevil');
    // The log keeps the bytes.
    const denied = eventRows(cli.root).filter((e) => e.type === 'AccessDenied').at(-1)!;
    expect((JSON.parse(denied.data) as { app: string }).app).toBe(ESC_WORD);
    // The admin's text output escapes them; JSON carries them as JSON escapes.
    const text = cli.ok('events', '-n', '5');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('\\x1b[2J\\x0d\\x07\\x9b31m\\x7fevil');
    const json = JSON.parse(cli.ok('events', '-n', '5', '--format', 'json')) as Array<{ data: { app?: string } }>;
    expect(json.at(-1)!.data.app).toBe(ESC_WORD);
  });

  it("hole 8: a config value's escapes show as \\xHH in `config`, and as the bytes from config:get", () => {
    const set = asKey(cli, bob, 'bob', `config:set --no-restart x 'PAINT=${ESC_WORD}'`);
    expect(set.code, set.stderr).toBe(0);
    const shown = asKey(cli, bob, 'bob', 'config x');
    expect(shown.stdout).toContain('PAINT:    \\x1b[2J\\x0d\\x07\\x9b31m\\x7fevil');
    expect(shown.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(asKey(cli, bob, 'bob', 'config:get x PAINT').stdout).toBe(`${ESC_WORD}\n`);
  });

  it('hole 8: a local error line echoing a bad word escapes it', () => {
    const r = cli('events', '--since', '\x1b]0;owned\x07');
    expectOneLine(r, /^ !     Invalid --since/);
    expect(r.stderr).toContain('\\x1b]0;owned\\x07');
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});

describe.each(TARGETS)('the database and the output pipe ($name)', (target: Target) => {
  /** A root with a working database holding `extra` events beyond one app. */
  async function rootWithLog(extra = 0): Promise<Cli> {
    const cli = bindCli(target, makeRoot('dokku-db-'));
    cli.ok('apps:create', 'web');
    if (extra) await appendMany(cli.root, extra);
    return cli;
  }

  it('`events -n 1000 | head -1` exits quietly (EPIPE): no trace, nothing on stderr', async () => {
    const cli = await rootWithLog(2000);
    const child = spawn(target.command, [...target.args, 'events', '-n', '1000'], { env: childEnv(cli.root), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const first = await new Promise<string>((resolve) => {
      child.stdout.once('data', (d: Buffer) => {
        // What `head -1` does: read the first line, then close the pipe.
        child.stdout.destroy();
        resolve(d.toString('utf8').split('\n')[0]!);
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(first).toMatch(/^\s+\d+  /);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);

  it('a garbage dokku.db is one line naming it, exit 1', () => {
    const cli = bindCli(target, makeRoot('dokku-db-'));
    writeFileSync(dbPath(cli.root), 'this is not sqlite at all\n'.repeat(400));
    expectOneLine(cli('apps:list'), /^ !     \/.*\/dokku\.db is not a dokku database: /);
    expectOneLine(cli('events'), /dokku\.db is not a dokku database: /);
  });

  it('a truncated dokku.db is one line naming it, exit 1', async () => {
    const cli = await rootWithLog(3000);
    // Fold the WAL in so the main file holds everything, then cut it in half.
    withDb(cli.root, (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
    truncateSync(dbPath(cli.root), Math.floor(statSync(dbPath(cli.root)).size / 2));
    expectOneLine(cli('events', '-n', '5000'), /dokku\.db is not a dokku database: /);
    expectOneLine(cli('events:verify'), /dokku\.db is not a dokku database: /);
  });

  it('a directory where dokku.db should be is one line, exit 1', () => {
    const cli = bindCli(target, makeRoot('dokku-db-'));
    mkdirSync(dbPath(cli.root));
    expectOneLine(cli('apps:list'), /dokku\.db is not a dokku database: it is a directory$/);
  });

  it('event data that is not JSON is one line naming the event position', async () => {
    const cli = await rootWithLog(3);
    withDb(cli.root, (db) => db.prepare("UPDATE events SET data = '{not json' WHERE position = 2").run());
    expectOneLine(cli('events'), /event 2 .*not JSON/);
    expectOneLine(cli('events:verify'), /event 2 .*not JSON/);
  });

  it('a database without its events table is one line, exit 1', async () => {
    const cli = await rootWithLog();
    withDb(cli.root, (db) => db.exec('DROP TABLE events'));
    expectOneLine(cli('apps:list'), /dokku\.db is not a dokku database: it has no events table$/);
    expectOneLine(cli('events'), /dokku\.db is not a dokku database: it has no events table$/);
  });

  it('a zero-length dokku.db where one was created before is refused, not a new empty platform', async () => {
    const cli = await rootWithLog();
    expect(existsSync(join(cli.root, '.dokku.db-created'))).toBe(true);
    for (const f of ['dokku.db-wal', 'dokku.db-shm']) rmSync(join(cli.root, f), { force: true });
    truncateSync(dbPath(cli.root), 0);
    expectOneLine(cli('apps:list'), /dokku\.db is not a dokku database: it is empty, but one was created here/);
    expect(statSync(dbPath(cli.root)).size).toBe(0);
    // Deleted outright, the same.
    rmSync(dbPath(cli.root));
    expectOneLine(cli('apps:create', 'fresh'), /dokku\.db is not a dokku database: it is missing, but one was created here/);
    expect(existsSync(dbPath(cli.root))).toBe(false);
  });

  it('a zero-length dokku.db in a root that never held one starts a new platform and marks it', () => {
    const cli = bindCli(target, makeRoot('dokku-db-'));
    writeFileSync(dbPath(cli.root), '');
    cli.ok('apps:create', 'web');
    expect(cli.ok('apps:list')).toContain('web');
    expect(readFileSync(join(cli.root, '.dokku.db-created'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('events:verify prints the head position and hash, in text and JSON', async () => {
    const cli = await rootWithLog(4);
    const head = eventRows(cli.root).at(-1)!;
    expect(cli.ok('events:verify')).toContain(`head ${head.position} ${head.hash}`);
    expect(JSON.parse(cli.ok('events:verify', '--format', 'json'))).toEqual({ ok: true, count: head.position, position: head.position, hash: head.hash });
    withDb(cli.root, (db) => db.prepare("UPDATE events SET actor = 'mallory' WHERE position = 3").run());
    const bad = cli('events:verify', '--format', 'json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, position: 3 });
    expectOneLine(bad, /Event log altered at position 3/);
  });
});
