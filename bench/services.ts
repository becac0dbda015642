/**
 * Services benchmark, on the real Docker engine with the compiled `dist/dokku` and a temporary
 * DOKKU_ROOT. It prints:
 *   - `postgres:create` and `redis:create` with the image already built (to the server answering);
 *   - `postgres:link` of a deployed app (a new release, served);
 *   - `postgres:export` and `postgres:import` of a database of about 100 MB (`--mb N`), and the
 *     dump's size.
 *
 * Run: bun bench/services.ts [--runs 3] [--mb 100]
 * Needs dist/ from `npm run build`, a Docker daemon, and busybox-static (the test image is made offline).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { commitAppImage } from '../test/helpers/test-image.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = process.env.DOKKU_BIN ?? join(REPO, 'dist/dokku');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 3);
const MB = arg('--mb', 100);

const root = mkdtempSync(join(tmpdir(), 'bench-services-'));
const env = { ...process.env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib') };
const tag = Math.random().toString(36).slice(2, 8);
const app = `bench-sv-${tag}`;
const docker = new Docker();
const made: Array<[string, string]> = [];

function dokku(words: string[], opts: { stdoutFile?: string; stdinFile?: string } = {}): { ms: number; stdout: string } {
  // A dump goes to or comes from a file descriptor, as a shell's redirection would hand it over.
  const fd = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : opts.stdinFile ? openSync(opts.stdinFile, 'r') : undefined;
  const started = performance.now();
  const r = spawnSync(DOKKU, words, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: [opts.stdinFile ? fd : 'pipe', opts.stdoutFile ? fd : 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (fd !== undefined) closeSync(fd);
  if (r.status !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { ms, stdout: r.stdout ?? '' };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

try {
  // The images once, outside the timings (a fresh host builds each in 10-20 s).
  for (const kind of ['postgres', 'redis']) {
    const name = `warm-${kind}-${tag}`;
    dokku([`${kind}:create`, name]);
    dokku([`${kind}:destroy`, name, '--force']);
  }
  for (const kind of ['postgres', 'redis']) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const name = `b-${kind}-${i}-${tag}`;
      times.push(dokku([`${kind}:create`, name]).ms);
      made.push([kind, name]);
    }
    console.log(`── ${kind}:create (image built), median of ${RUNS}: ${s(median(times))}   (all: ${times.map(s).join(', ')})`);
  }

  const image = await commitAppImage(docker, `dokku-test/bench-sv:${tag}`, 'mkdir -p /www /app && echo ok > /www/index.html && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile');
  dokku(['apps:create', app]);
  dokku(['checks:disable', app]);
  dokku(['git:from-image', app, image]);
  const links: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const db = `b-postgres-${i}-${tag}`;
    links.push(dokku(['postgres:link', db, app, '--alias', `DB${i}`]).ms);
  }
  console.log(`── postgres:link to a deployed app (release deployed and served), median of ${RUNS}: ${s(median(links))}`);

  const db = `b-postgres-0-${tag}`;
  const started = performance.now();
  // About MB megabytes of rows of random hex (so the dump does not compress them away), made by the server itself.
  const payload = Array.from({ length: 15 }, () => 'md5(random()::text)').join(' || ');
  dokku([
    'postgres:enter', db, 'psql', '-U', 'postgres', '-q', '-d', db.replace(/-/g, '_'), '-c',
    `CREATE TABLE filler AS SELECT g AS id, ${payload} AS payload FROM generate_series(1, ${MB * 2000}) g`,
  ]);
  const size = dokku(['postgres:enter', db, 'psql', '-U', 'postgres', '-qAt', '-d', db.replace(/-/g, '_'), '-c', 'SELECT pg_database_size(current_database())']).stdout.trim();
  console.log(`── database of ${(Number(size) / 1024 ** 2).toFixed(0)} MB (filled in ${s(performance.now() - started)})`);
  const dump = join(root, 'bench.pgdump');
  const exports: number[] = [];
  const imports: number[] = [];
  const target = `b-postgres-1-${tag}`;
  for (let i = 0; i < RUNS; i++) {
    exports.push(dokku(['postgres:export', db], { stdoutFile: dump }).ms);
    imports.push(dokku(['postgres:import', target], { stdinFile: dump }).ms);
  }
  console.log(`── postgres:export, median of ${RUNS}: ${s(median(exports))}   (dump ${(statSync(dump).size / 1024 ** 2).toFixed(1)} MB, pg_dump -Fc)`);
  console.log(`── postgres:import into another service, median of ${RUNS}: ${s(median(imports))}`);
  await docker.getImage(image).remove({ force: true }).catch(() => undefined);
} finally {
  spawnSync(DOKKU, ['apps:destroy', app, '--force'], { env });
  for (const [kind, name] of made) spawnSync(DOKKU, [`${kind}:destroy`, name, '--force'], { env });
  rmSync(root, { recursive: true, force: true });
}
