/**
 * Platform backup benchmark, on the real Docker engine with the compiled `dist/dokku`. A platform of
 * 10 small apps deployed from images (busybox, each its own image) and one Postgres holding 100k
 * rows linked to the first app is exported and imported. It prints:
 *   - `backup:export` to a file (median of --runs), the archive's size and entry count;
 *   - `backup:export -` into a reader that waits 3 s before reading, and the exporting process's peak
 *     memory (it should not grow with the archive: gzip output waits for the pipe);
 *   - `backup:import` onto a fresh DOKKU_ROOT after the old platform's containers and images are gone
 *     (so every image is loaded again and the dump imported), and the time until all 10 web
 *     containers run.
 *
 * Run: bun bench/backup.ts [--runs 3] [--apps 10]
 * Needs dist/ from `npm run build`, a Docker daemon with dokku/postgres:15, and busybox-static.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Docker from 'dockerode';
import { readTar } from '../src/lib/tar.ts';
import { commitAppImage } from '../test/helpers/test-image.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = process.env.DOKKU_BIN ?? join(REPO, 'dist/dokku');
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const RUNS = arg('--runs', 3);
const APPS = arg('--apps', 10);
const tag = Math.random().toString(36).slice(2, 8);
const apps = Array.from({ length: APPS }, (_, i) => `bench-bk-${tag}-${i}`);
const db = `benchbk${tag}`;
const scratch = mkdtempSync(join(tmpdir(), 'bench-backup-'));
const roots = { old: join(scratch, 'old'), fresh: join(scratch, 'fresh') };
const nginxEnv = { DOKKU_NGINX_TEST: 'true', DOKKU_NGINX_RELOAD: 'true', DOKKU_NGINX_CONF_DIR: join(scratch, 'nginx'), DOKKU_NGINX_LOG_DIR: join(scratch, 'nginx-logs') };
const envOf = (root: string) => ({ ...process.env, ...nginxEnv, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib') });
const docker = new Docker();
const images: string[] = [];

function dokku(root: string, ...words: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(DOKKU, words, { env: envOf(root), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { ms: performance.now() - started, stdout: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Containers, images dokku built and networks of the benchmark's apps and service. */
async function forgetOnEngine(): Promise<void> {
  for (const c of await docker.listContainers({ all: true })) {
    const app = c.Labels?.['com.dokku.app'];
    if ((app !== undefined && apps.includes(app)) || c.Names?.[0] === `/dokku.postgres.${db}`) await docker.getContainer(c.Id).remove({ force: true, v: true });
  }
  for (const t of (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => apps.some((a) => t.startsWith(`dokku/${a}:`)))) {
    await docker.getImage(t).remove({ force: true }).catch(() => undefined);
  }
  for (const net of [...apps.map((a) => `dokku.app.${a}`), `dokku.postgres.${db}`]) await docker.getNetwork(net).remove().catch(() => undefined);
}

try {
  console.log(`── a platform of ${APPS} image apps and one Postgres (100k rows)`);
  const setup = performance.now();
  dokku(roots.old, 'postgres:create', db);
  for (const [i, app] of apps.entries()) {
    const image = await commitAppImage(docker, `dokku-test/bench-bk-${tag}:${i}`, `mkdir -p /www /app && echo app-${i} > /www/index.html && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile`);
    images.push(image);
    dokku(roots.old, 'apps:create', app);
    dokku(roots.old, 'checks:disable', app);
    dokku(roots.old, 'config:set', app, `N=${i}`, '--no-restart');
    if (i === 0) dokku(roots.old, 'postgres:link', db, app, '--no-restart');
    dokku(roots.old, 'git:from-image', app, image);
  }
  dokku(roots.old, 'postgres:enter', db, 'psql', '-U', 'postgres', '-qc', 'CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 100000) g', db);
  console.log(`   set up in ${s(performance.now() - setup)}`);

  const archive = join(scratch, 'platform.tar.gz');
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(dokku(roots.old, 'backup:export', archive, '--force').ms);
  const entries = readTar(gunzipSync(readFileSync(archive)));
  console.log(`── backup:export FILE, median of ${RUNS}`);
  console.log(`   ${s(median(times))}   (${mib(statSync(archive).size)} compressed, ${mib(entries.reduce((n, e) => n + (e.data?.length ?? 0), 0))} in ${entries.length} entries)`);

  /** Peak memory of `backup:export -` with its stdout read by `reader` (a shell command). */
  const peakWith = (reader: string): number => {
    const rss = join(scratch, 'rss');
    const r = spawnSync('sh', ['-c', `/usr/bin/time -o "$1" -f '%M' "$0" backup:export - 2>/dev/null | ${reader}`, DOKKU, rss], { env: envOf(roots.old), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`backup:export - failed: ${r.stderr}`);
    return Number(readFileSync(rss, 'utf8').trim().split('\n').at(-1)) / 1024;
  };
  console.log('── backup:export - : peak memory of the exporting process');
  console.log(`   read at once: ${peakWith('cat > /dev/null').toFixed(0)} MiB; read after 3 s: ${peakWith('(sleep 3; cat > /dev/null)').toFixed(0)} MiB (archive ${mib(statSync(archive).size)})`);

  await forgetOnEngine();
  const t0 = performance.now();
  const imported = dokku(roots.fresh, 'backup:import', archive);
  const importMs = performance.now() - t0;
  const running = (await docker.listContainers()).filter((c) => apps.includes(c.Labels?.['com.dokku.app'] ?? '') && c.Labels?.['com.dokku.process-type'] === 'web').length;
  if (running !== APPS) throw new Error(`${running} of ${APPS} web containers run after the import:\n${imported.stdout}`);
  const rows = dokku(roots.fresh, 'postgres:enter', db, 'psql', '-U', 'postgres', '-qAtc', 'SELECT count(*) FROM t', db).stdout.trim();
  if (rows !== '100000') throw new Error(`the imported service has ${rows} rows`);
  console.log('── backup:import onto a fresh DOKKU_ROOT (images loaded, dump imported, every app started)');
  console.log(`   ${s(importMs)}   (${running}/${APPS} web containers running, ${rows} rows back)`);
  const verify = dokku(roots.fresh, 'events:verify');
  console.log(`   ${verify.stdout.trim().replace(/^-----> /, '')}`);
} finally {
  await forgetOnEngine().catch(() => undefined);
  for (const image of images) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
}
