/**
 * SSH benchmark against a real sshd on loopback (started here, as the tests do), with the compiled
 * `dist/dokku` as the forced command. Prints:
 *   - the median round trip of `ssh dokku@127.0.0.1 apps:list` beside a bare `ssh … true` (a key
 *     with no forced command, same sshd, same client options), and their ratio;
 *   - `git push`-to-serving for the node sample (test/fixtures/apps/node): cold (a new app, empty
 *     build cache) and warm (a code change), each with the time the push itself returned and the
 *     part spent before the build started (ssh, receive-pack, hook, git archive).
 * "Serving" means the app's recorded upstream answers with the pushed code's marker.
 *
 * Run: npx bun bench/ssh.ts [--rounds 30] [--warm 3] [--no-push]
 * Needs root (sshd), dist/ from `npm run build`, Docker and the stack image for the push part.
 */
import { Database } from 'bun:sqlite';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeKeyPair, run, sshArgs, startSshd, workTree } from '../test/helpers/sshd.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = join(REPO, 'dist/dokku');
const SAMPLE = join(REPO, 'test/fixtures/apps/node');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} wants a whole number`);
  return v;
}
const ROUNDS = option('rounds', 30);
const WARM = option('warm', 3);
const PUSH = !process.argv.includes('--no-push');
const TARGETS = { ratio: 1.2, roundTrip: 0.25, warm: 2.5 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(DOKKU)) {
  console.error(`${DOKKU} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const root = mkdtempSync(join(tmpdir(), 'dokku-bench-ssh-'));
const scratch = mkdtempSync(join(tmpdir(), 'dokku-bench-ssh-src-'));
const env: NodeJS.ProcessEnv = { ...process.env, DOKKU_ROOT: root };
for (const k of Object.keys(env)) if ((k.startsWith('DOKKU_') && k !== 'DOKKU_ROOT') || k === 'NAME' || k === 'FINGERPRINT') delete env[k];
const dokku = (...words: string[]) => {
  const r = spawnSync(DOKKU, words, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dokku ${words.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

async function timedRun(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; code: number; stderr: string }> {
  const t = performance.now();
  const r = await run(command, args, opts);
  return { ms: performance.now() - t, code: r.code, stderr: r.stderr };
}

const bareKeys = join(scratch, 'bare_authorized_keys');
const sshd = await startSshd([join(root, '.ssh', 'authorized_keys'), bareKeys]);
const apps: string[] = [];
try {
  const dokkuKey = makeKeyPair(scratch, 'bench');
  const bareKey = makeKeyPair(scratch, 'bare');
  copyFileSync(bareKey.pub, bareKeys);
  dokku('ssh-keys:add', 'bench', dokkuKey.pub);
  const target = `${sshd.user}@127.0.0.1`;

  // ── Round trips ────────────────────────────────────────────────────────────────────────────
  const local: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    dokku('apps:list');
    local.push(performance.now() - t);
  }
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`── SSH round trip, median of ${ROUNDS} (load average ${load()}); dokku apps:list alone: ${sec(median(local))} s`);
  // OpenSSH 9's default key exchange (sntrup761x25519, post-quantum) costs the client ~0.1 s of CPU
  // here; curve25519-sha256 is the classic one. Both rows use the same options for both keys.
  for (const [label, extra] of [
    ['default key exchange', []],
    ['KexAlgorithms=curve25519-sha256', ['-o', 'KexAlgorithms=curve25519-sha256']],
  ] as const) {
    const bare: number[] = [];
    const list: number[] = [];
    for (let i = 0; i < 3; i++) {
      await run('ssh', [...sshArgs(bareKey, sshd.port), ...extra, target, 'true']);
      await run('ssh', [...sshArgs(dokkuKey, sshd.port), ...extra, target, 'apps:list']);
    }
    for (let i = 0; i < ROUNDS; i++) {
      // Interleaved, so load on the machine falls on both alike.
      const b = await timedRun('ssh', [...sshArgs(bareKey, sshd.port), ...extra, target, 'true']);
      const d = await timedRun('ssh', [...sshArgs(dokkuKey, sshd.port), ...extra, target, 'apps:list']);
      if (b.code !== 0 || d.code !== 0) throw new Error(`ssh failed: ${b.stderr}${d.stderr}`);
      bare.push(b.ms);
      list.push(d.ms);
    }
    const ratio = median(list) / median(bare);
    console.log(`   ${label}:`);
    console.log(`     ssh … true (bare key)       ${sec(median(bare))} s   (min ${sec(Math.min(...bare))})`);
    console.log(`     ssh dokku@… apps:list       ${sec(median(list))} s   (min ${sec(Math.min(...list))})   target ≤ ${TARGETS.roundTrip} s`);
    console.log(`     ratio                       ${ratio.toFixed(2)}×      target ≤ ${TARGETS.ratio}×`);
  }

  // ── Push to serving ────────────────────────────────────────────────────────────────────────
  if (PUSH) {
    dokku('stack:build');
    const gitSsh = sshd.gitSsh(dokkuKey);
    const upstream = (app: string): string | undefined => {
      const db = new Database(join(root, 'dokku.db'), { readonly: true });
      try {
        const row = db.query('SELECT r.upstreams FROM app_runtime r JOIN apps a ON a.id = r.app_id WHERE a.name = ?').get(app) as { upstreams: string } | null;
        const [u] = row ? (JSON.parse(row.upstreams) as Array<{ host: string; port: number }>) : [];
        return u ? `http://${u.host}:${u.port}` : undefined;
      } finally {
        db.close();
      }
    };
    const buildStartedAt = (app: string): number => {
      const db = new Database(join(root, 'dokku.db'), { readonly: true });
      try {
        const row = db
          .query("SELECT e.at FROM events e JOIN apps a ON e.stream = 'app/' || a.id WHERE a.name = ? AND e.type = 'BuildStarted' ORDER BY e.position DESC LIMIT 1")
          .get(app) as { at: string } | null;
        return row ? Date.parse(row.at) : NaN;
      } finally {
        db.close();
      }
    };
    const servedAt = async (app: string, marker: string, deadline: number): Promise<number> => {
      while (Date.now() < deadline) {
        const url = upstream(app);
        if (url) {
          try {
            const body = await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
            if (body.includes(marker)) return Date.now();
          } catch {
            // not up yet
          }
        }
        await sleep(10);
      }
      throw new Error(`${app} never served ${marker}`);
    };
    const measure = async (app: string, tree: Awaited<ReturnType<typeof workTree>>, marker: string) => {
      const source = readFileSync(join(SAMPLE, 'server.js'), 'utf8').replace('node sample', marker);
      writeFileSync(join(tree.dir, 'server.js'), source);
      await tree.commit(marker);
      const started = Date.now();
      const pushing = timedRun('git', ['push', '-f', sshd.remote(app), 'HEAD:main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: gitSsh } });
      const served = await servedAt(app, marker, started + 300_000);
      const pushed = await pushing;
      if (pushed.code !== 0) throw new Error(`push failed:\n${pushed.stderr}`);
      return { serving: served - started, returned: pushed.ms, beforeBuild: buildStartedAt(app) - started };
    };
    const report = (title: string, runs: Array<{ serving: number; returned: number; beforeBuild: number }>, target?: number) => {
      const pick = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
      console.log(`── ${title}: ${sec(pick((r) => r.serving))} s push to serving (median of ${runs.length})${target ? `   target ≤ ${target} s` : ''}`);
      console.log(`   push returned after          ${sec(pick((r) => r.returned))} s`);
      console.log(`   before the build started     ${sec(pick((r) => r.beforeBuild))} s   (ssh, receive-pack, hook, git archive)`);
    };

    const cold = uniqueApp('bench-cold');
    apps.push(cold);
    const coldTree = await workTree(SAMPLE, join(scratch, 'cold'));
    report('cold push (new app, empty build cache)', [await measure(cold, coldTree, `cold-${Date.now()}`)]);

    const warmRuns = [];
    for (let i = 0; i < WARM; i++) warmRuns.push(await measure(cold, coldTree, `warm-${i}-${Date.now()}`));
    report('warm push (code change, dependencies cached)', warmRuns, TARGETS.warm);
  }
} finally {
  for (const app of apps) spawnSync(DOKKU, ['apps:destroy', app, '--force'], { env });
  await sshd.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}

function uniqueApp(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
