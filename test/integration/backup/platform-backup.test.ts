/**
 * The whole platform in one file, on the compiled binary against the real engine and a real nginx:
 * two apps (one built from a git repository with a Dockerfile, linked to a Postgres holding rows
 * the app wrote, with a certificate; one deployed from an image, with a file in a storage entry),
 * each with config and a domain, go into `backup:export`. The old platform is then lost: its
 * containers, images, networks and DOKKU_ROOT removed (container names are the engine's, so the
 * old ones must go). `backup:import` on a fresh DOKKU_ROOT brings it back: both apps answer through
 * nginx with their config, the TLS certificate, the storage file and the rows, and the log verifies.
 * Archives that are garbage, altered or tampered with, an import while the old platform's storage
 * directory or containers are in the way, and one onto a platform that is not empty, are refused in
 * one line with nothing written.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar, writeTar, type TarEntry } from '../../../src/lib/tar.ts';
import { errorLines, eventRows, fingerprint, makeRoot, removeRoots, requireDist, run as runCli, TARGETS, type RunResult } from '../../helpers/cli.ts';
import { deployImageApp, expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { commitOnImage, ensureTestImage } from '../../helpers/test-image.ts';
import { curlHttps, makeCa, viaNginx } from '../proxy/helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const oldRoot = makeRoot('dokku-backup-old-');
const newRoot = makeRoot('dokku-backup-new-');
const scratch = makeRoot('dokku-backup-scratch-');
const notes = uniqueName('bk-notes');
const files = uniqueName('bk-files');
const db = `bkdb${Math.random().toString(36).slice(2, 8)}`;
const entry = `${files}-data`;
const notesDomain = `${notes}.backup.test`;
const filesDomain = `${files}.backup.test`;
const tag = Math.random().toString(36).slice(2, 8);
const clientImage = `dokku-test/bk-pgclient:${tag}`;
const filesImage = `dokku-test/bk-files:${tag}`;
const archive = join(scratch, 'platform.tar.gz');
let docker: Docker;
let nginx: TestNginx;
let server: Server;
let ca: ReturnType<typeof makeCa>;

const dokkuIn = (root: string) => (...words: string[]) => runCli(compiled, root, words, { env: nginx.env });
const old = (...words: string[]) => dokkuIn(oldRoot)(...words);
const fresh = (...words: string[]) => dokkuIn(newRoot)(...words);

const PSQL = '/usr/lib/postgresql/15/bin/psql';
const cgi = (body: string) => ({ text: `#!/bin/sh\necho "Content-Type: text/plain"\necho\n${body}\n`, mode: 0o755 });

function sh(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** GET through nginx by Host, retried while a reload settles. */
const page = (host: string, path: string) => eventually(async () => {
  const r = await viaNginx(nginx.httpPort, host, path);
  if (r.status !== 200) throw new Error(`${host}${path}: ${r.status} ${r.body}`);
  return r.body;
}, 15_000);

/** GET over https from the app with the certificate, trusting only the test's CA (http redirects there). */
const securePage = (path: string) => eventually(async () => {
  const r = curlHttps(notesDomain, nginx.httpsPort, ca.ca, path);
  if (r.code !== 0) throw new Error(`https://${notesDomain}${path}: ${r.stderr}`);
  return r.body;
}, 15_000);

/** Every path under a root with its size (the database's -wal/-shm come and go with connections), or 'absent'. */
function tree(root: string): string {
  if (!existsSync(root)) return 'absent';
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (/-(wal|shm)$/.test(name)) continue;
      out.push(`${rel}${name}${st.isDirectory() ? '/' : ` ${st.size}`}`);
      if (st.isDirectory()) walk(path, `${rel}${name}/`);
    }
  };
  walk(root, '');
  return out.join('\n');
}

/** The archive's entries, changed by `edit`, written again as a new archive. */
function repack(name: string, edit: (entries: TarEntry[]) => TarEntry[]): string {
  const out = join(scratch, name);
  writeFileSync(out, gzipSync(writeTar(edit(readTar(gunzipSync(readFileSync(archive)))))));
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The manifest entry rewritten so a changed file's size and sha256 agree with it again. */
function withManifestFor(entries: TarEntry[], path: string): TarEntry[] {
  const changed = entries.find((e) => e.path === path)!;
  return entries.map((e) => {
    if (e.path !== 'manifest.json') return e;
    const m = JSON.parse(e.data!.toString('utf8')) as { files: Array<{ path: string; size: number; sha256: string }> };
    for (const f of m.files) if (f.path === path) Object.assign(f, { size: changed.data!.length, sha256: sha256(changed.data!) });
    return { ...e, data: Buffer.from(JSON.stringify(m)) };
  });
}

/** Removes what the engine holds of these apps and this service: containers, images dokku built, networks. */
async function forgetOnEngine(images: string[]): Promise<void> {
  const all = await docker.listContainers({ all: true });
  for (const c of all) {
    const app = c.Labels?.['com.dokku.app'];
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    if ((app !== undefined && [notes, files].includes(app)) || name === `dokku.postgres.${db}`) await docker.getContainer(c.Id).remove({ force: true, v: true });
  }
  const built = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`dokku/${notes}:`) || t.startsWith(`dokku/${files}:`));
  for (const ref of [...built, ...images]) await docker.getImage(ref).remove({ force: true }).catch(() => undefined);
  for (const net of [`dokku.app.${notes}`, `dokku.app.${files}`, `dokku.postgres.${db}`]) await docker.getNetwork(net).remove().catch(() => undefined);
}

function expectRefused(r: RunResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const { errors, others } = errorLines(r.stderr);
  expect(errors, r.stderr).toHaveLength(1);
  expect(others).toEqual([]);
  expect(errors[0]!.slice(7)).toMatch(message);
}

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  nginx = await startNginx(requireNginx());
  const base = await ensureTestImage(docker);
  await commitOnImage(docker, 'dokku/postgres:15', clientImage, {
    'www/cgi-bin/add': cgi(`${PSQL} "$DATABASE_URL" -qAt -c "CREATE TABLE IF NOT EXISTS notes (t text)" -c "INSERT INTO notes VALUES ('$QUERY_STRING')" 2>/dev/null && echo added`),
    'www/cgi-bin/list': cgi(`${PSQL} "$DATABASE_URL" -qAt -c "SELECT t FROM notes ORDER BY t" 2>&1\necho "greeting=$GREETING"`),
  });
  await commitOnImage(docker, base, filesImage, {
    'app/Procfile': { text: 'web: httpd -f -p $PORT -h /www\n' },
    'www/index.html': { text: 'files\n' },
    'www/cgi-bin/show': cgi('echo "greeting=$GREETING"\ncat /app/storage/upload.txt'),
  });
  // The notes app's repository, served over http on loopback for git:sync.
  const work = join(scratch, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'Dockerfile'), `FROM ${clientImage}\nCOPY index.html /www/index.html\nCMD ["/bin/sh", "-c", "exec /usr/local/bin/busybox httpd -f -p \\"$PORT\\" -h /www"]\n`);
  writeFileSync(join(work, 'index.html'), 'notes\n');
  sh('git', ['init', '-q', '-b', 'main'], work);
  sh('git', ['add', '.'], work);
  sh('git', ['commit', '-qm', 'notes'], work);
  sh('git', ['clone', '-q', '--bare', work, join(scratch, 'notes.git')], scratch);
  sh('git', ['update-server-info'], join(scratch, 'notes.git'));
  server = createServer((req, res) => {
    const path = join(scratch, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (!path.startsWith(scratch) || !existsSync(path) || statSync(path).isDirectory()) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ca = makeCa([notesDomain]);
}, 600_000);

afterAll(async () => {
  if (docker) await forgetOnEngine([clientImage, filesImage]).catch(() => undefined);
  server?.close();
  nginx?.stop();
  if (ca) rmSync(ca.dir, { recursive: true, force: true });
  removeRoots();
}, 300_000);

describe('backup:export and backup:import', () => {
  it('a platform of two apps, a linked Postgres with rows, a certificate and a storage file', async () => {
    expectOk(await old('postgres:create', db), 'postgres:create');
    expectOk(await old('apps:create', notes), 'apps:create notes');
    expectOk(await old('checks:disable', notes), 'checks:disable');
    expectOk(await old('postgres:link', db, notes), 'postgres:link');
    expectOk(await old('config:set', notes, 'GREETING=hello-notes', '--no-restart'), 'config:set notes');
    expectOk(await old('domains:add', notes, notesDomain), 'domains:add notes');
    const port = (server.address() as { port: number }).port;
    expectOk(await old('git:sync', notes, `http://127.0.0.1:${port}/notes.git`, 'main', '--build'), 'git:sync --build');
    expectOk(await old('certs:add', notes, ca.cert, ca.key), 'certs:add');

    await deployImageApp(old, files, filesImage);
    expectOk(await old('config:set', files, 'GREETING=hello-files'), 'config:set files');
    expectOk(await old('domains:add', files, filesDomain), 'domains:add files');
    expectOk(await old('storage:create', entry, '--app', files, '--chown', 'false'), 'storage:create');
    expectOk(await old('storage:mount', files, entry, '--container-dir', '/app/storage'), 'storage:mount');
    expectOk(await old('ps:restart', files), 'ps:restart');
    expectOk(await old('enter', files, 'web', 'sh', '-c', 'echo kept-in-storage > /app/storage/upload.txt'), 'enter');

    for (const note of ['alpha', 'beta']) expect(await securePage(`/cgi-bin/add?${note}`)).toBe('added\n');
    expect(await securePage('/cgi-bin/list')).toBe('alpha\nbeta\ngreeting=hello-notes\n');
    expect((await viaNginx(nginx.httpPort, notesDomain, '/')).status).toBe(301);
    expect(await page(filesDomain, '/cgi-bin/show')).toBe('greeting=hello-files\nkept-in-storage\n');

    // A plugin (a directory source) with a command and a property: its files and state go in the archive too.
    const plugin = join(scratch, 'greeter');
    mkdirSync(plugin, { recursive: true });
    writeFileSync(join(plugin, 'plugin.toml'), '[plugin]\ndescription = "greets"\nversion = "1.0.0"\n');
    writeFileSync(join(plugin, 'commands'), '#!/bin/sh\n[ "$1" = greet ] || exit 10\necho "hello from $(dokku plugin:property-get greeter --global word)"\n', { mode: 0o755 });
    expectOk(await old('plugin:install', plugin), 'plugin:install');
    expectOk(await old('plugin:property-set', 'greeter', '--global', 'word', 'the-old-host'), 'plugin:property-set');
    expect((await old('greet')).stdout).toBe('hello from the-old-host\n');
  }, 600_000);

  it('backup:export writes one .tar.gz of it, to a file or to stdout', async () => {
    const r = await old('backup:export', archive);
    expectOk(r, 'backup:export');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`-----> Exporting the platform to ${archive}`);
    expect(lines).toContain(`-----> Dumping postgres service ${db}`);
    expect(lines).toContain(`-----> Saving the image of ${files} (dokku/${files}:build-1)`);
    expect(r.stdout).toMatch(/^ {7}2 apps, 1 repository, 1 source, 1 certificate, 1 storage entry, 1 saved image, 1 service dump, 1 plugin$/m);
    expect(r.stdout).toMatch(/^-----> Exported [\d.]+ (KiB|MiB) to /m);

    const entries = readTar(gunzipSync(readFileSync(archive)));
    const paths = entries.map((e) => e.path);
    const ids = Object.fromEntries(eventRows(oldRoot).filter((e) => e.type === 'AppCreated').map((e) => [(JSON.parse(e.data) as { name: string }).name, e.stream.slice(4)]));
    expect(paths[0]).toBe('dokku.db');
    expect(paths.at(-1)).toBe('manifest.json');
    expect(paths).toEqual(expect.arrayContaining([
      `git/${notes}.git`, `git/${notes}.git/HEAD`, `git/${notes}.git/refs/heads`, `sources/${ids[notes]}.tar`, `certs/${ids[notes]}/server.crt`,
      `certs/${ids[notes]}/server.key`, `storage/${entry}/upload.txt`, `images/${ids[files]}.tar`, `services/postgres/${db}/export.pgdump`,
    ]));
    const manifest = JSON.parse(entries.at(-1)!.data!.toString('utf8')) as { head: { position: number; hash: string }; files: Array<{ path: string; size: number; sha256: string }> };
    for (const f of manifest.files) {
      const e = entries.find((x) => x.path === f.path)!;
      expect([f.size, f.sha256], f.path).toEqual([e.data!.length, sha256(e.data!)]);
    }
    expect(entries.find((e) => e.path === `storage/${entry}/upload.txt`)!.data!.toString()).toBe('kept-in-storage\n');
    const exported = eventRows(oldRoot).filter((e) => e.type === 'PlatformExported').at(-1)!;
    expect(JSON.parse(exported.data)).toMatchObject({ bytes: statSync(archive).size, sha256: sha256(readFileSync(archive)), head: manifest.head, file: archive });
    // The head it recorded is the one events:verify printed just before.
    expect(manifest.head.position).toBe(exported.position - 1);

    // To stdout: the same entries; the steps go to stderr.
    const out = join(scratch, 'stdout.tar.gz');
    const fd = openSync(out, 'w');
    const piped = spawnSync(compiled.command, ['backup:export', '-'], { env: { ...process.env, ...nginx.env, DOKKU_ROOT: oldRoot, DOKKU_LIB_ROOT: join(oldRoot, 'lib') }, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    closeSync(fd);
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/^-----> Exporting the platform\n/);
    expect(readTar(gunzipSync(readFileSync(out))).map((e) => e.path)).toEqual(paths);
  }, 300_000);

  it('the old platform is lost: while its files and containers are there an import is refused; then they go', async () => {
    const elsewhere = join(scratch, 'in-the-way');
    const held = await dokkuIn(elsewhere)('backup:import', archive);
    expectRefused(held, new RegExp(`^${oldRoot}/lib/data/storage/${entry} already holds data: move it away, or pass --force to write over it: nothing was imported$`));
    rmSync(oldRoot, { recursive: true, force: true });
    const named = await dokkuIn(elsewhere)('backup:import', archive);
    expectRefused(named, /^Docker already has container \S+ \(and \d+ more\) of an app or service in the archive: remove it first \(another platform on this engine\?\), or pass --force: nothing was imported$/);
    expect(tree(elsewhere)).toBe('absent');

    const filesImageId = (await docker.getImage(filesImage).inspect()).Id;
    await forgetOnEngine([filesImage]);
    await expect(docker.getImage(filesImageId).inspect()).rejects.toThrow();
  }, 120_000);

  describe('refuses an archive it cannot trust, in one line, writing nothing', () => {
    const refusedOnFreshRoot = async (input: string, message: RegExp) => {
      const root = join(scratch, `fresh-${Math.random().toString(36).slice(2, 8)}`);
      const r = await dokkuIn(root)('backup:import', input);
      expectRefused(r, message);
      expect(tree(root)).toBe('absent');
    };

    it('garbage', async () => {
      writeFileSync(join(scratch, 'garbage.tar.gz'), 'not an archive at all\n');
      await refusedOnFreshRoot(join(scratch, 'garbage.tar.gz'), /is not a backup:export archive \(not a gzip file\): nothing was imported$/);
      writeFileSync(join(scratch, 'gzip-garbage.tar.gz'), gzipSync(Buffer.alloc(4096, 0x41)));
      await refusedOnFreshRoot(join(scratch, 'gzip-garbage.tar.gz'), /is not a whole tar archive/);
    });

    it('a file that does not match its checksum, one missing, one extra', async () => {
      const altered = repack('altered.tar.gz', (es) => es.map((e) => (e.path === `storage/${entry}/upload.txt` ? { ...e, data: Buffer.from('tampered-storage\n') } : e)));
      await refusedOnFreshRoot(altered, new RegExp(`^storage/${entry}/upload\\.txt does not match its checksum in the manifest .*: nothing was imported$`));
      const missing = repack('missing.tar.gz', (es) => es.filter((e) => e.path !== `services/postgres/${db}/export.pgdump`));
      await refusedOnFreshRoot(missing, new RegExp(`^services/postgres/${db}/export\\.pgdump is listed in the manifest but missing from the archive: nothing was imported$`));
      const extra = repack('extra.tar.gz', (es) => [...es.slice(0, 1), { path: `storage/${entry}/planted.sh`, type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\n') }, ...es.slice(1)]);
      await refusedOnFreshRoot(extra, new RegExp(`^storage/${entry}/planted\\.sh is in the archive but not in its manifest: nothing was imported$`));
      const outside = repack('outside.tar.gz', (es) => [{ path: 'etc/cron.d/x', type: 'file', mode: 0o644, data: Buffer.from('x') }, ...es]);
      await refusedOnFreshRoot(outside, /^The archive has an entry dokku does not restore: etc\/cron\.d\/x$/);
    });

    it('an event changed in the database, the manifest made to agree', async () => {
      const tampered = repack('tampered.tar.gz', (es) => {
        const dbFile = join(scratch, 'tampered.db');
        writeFileSync(dbFile, es.find((e) => e.path === 'dokku.db')!.data!);
        const edit = new BetterSqlite3(dbFile);
        const changed = edit.prepare("UPDATE events SET data = replace(data, 'hello-notes', 'hello-mallory') WHERE type = 'ConfigSet' AND data LIKE '%hello-notes%'").run();
        expect(changed.changes).toBe(1);
        edit.close();
        return withManifestFor(es.map((e) => (e.path === 'dokku.db' ? { ...e, data: readFileSync(dbFile) } : e)), 'dokku.db');
      });
      await refusedOnFreshRoot(tampered, /^The event log in the archive does not verify: event \d+ does not match its hash; nothing was imported$/);
    });
  });

  it('backup:import brings it back on a fresh DOKKU_ROOT: both apps answer through nginx with their config, certificate, storage file and rows', async () => {
    const r = await fresh('backup:import', archive);
    expectOk(r, 'backup:import');
    const lines = r.stdout.split('\n');
    expect(lines).toContain('-----> Reading the archive');
    expect(lines).toContain(`-----> Loading the image of ${files} (dokku/${files}:build-1)`);
    expect(r.stdout).toMatch(new RegExp(`^-----> Importing \\d+ bytes into postgres service ${db}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^-----> Rebuilding ${notes} from its kept source`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^-----> Restoring ${files} v\\d+$`, 'm'));
    expect(lines).toContain('-----> Imported the platform: 2 apps, 1 service');

    // Served with the same certificate (curl trusts only its CA), and http still redirects to it.
    expect(await securePage('/cgi-bin/list')).toBe('alpha\nbeta\ngreeting=hello-notes\n');
    expect((await viaNginx(nginx.httpPort, notesDomain, '/')).status).toBe(301);
    expect(await page(filesDomain, '/cgi-bin/show')).toBe('greeting=hello-files\nkept-in-storage\n');
    expect((await fresh('config:get', files, 'GREETING')).stdout).toBe('hello-files\n');
    // The plugin is back, enabled, with its property.
    expect((await fresh('greet')).stdout).toBe('hello from the-old-host\n');
    expect((await fresh('plugin:list')).stdout).toMatch(/greeter\s+1\.0\.0\s+enabled\s+greets/);
    // The rows are the service's own, read with its client.
    const rows = await fresh('postgres:enter', db, 'psql', '-U', 'postgres', '-qAtc', 'SELECT t FROM notes ORDER BY t', db);
    expect([rows.code, rows.stdout], rows.stderr).toEqual([0, 'alpha\nbeta\n']);
    // The repository came back too: git:sync fetched main into the deploy branch.
    expect((await fresh('git:status', notes)).stdout).toMatch(/^master [0-9a-f]{7} notes$/m);

    const verify = await fresh('events:verify');
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringMatching(/^-----> Event log verified: \d+ events, hash chain intact; head \d+ [0-9a-f]{64}\n$/)]);
    const manifest = JSON.parse(readTar(gunzipSync(readFileSync(archive))).at(-1)!.data!.toString('utf8')) as { head: { position: number; hash: string } };
    const rowsAfter = eventRows(newRoot);
    const imported = rowsAfter.find((e) => e.type === 'PlatformImported')!;
    expect(imported.position).toBe(manifest.head.position + 1);
    expect(rowsAfter[manifest.head.position - 1]!.hash).toBe(manifest.head.hash);
    expect(JSON.parse(imported.data)).toMatchObject({ bytes: statSync(archive).size, sha256: sha256(readFileSync(archive)), head: manifest.head, apps: 2, services: 1 });
  }, 600_000);

  it('refuses to import over a platform that is not empty, unless --force', async () => {
    const before = fingerprint(newRoot);
    const files = tree(newRoot);
    const r = await fresh('backup:import', archive);
    expectRefused(r, /^The platform is not empty \(2 apps, 1 service, \d+ events\): import onto a fresh DOKKU_ROOT, or pass --force to replace it$/);
    expect(r.stdout).toBe('');
    expect(fingerprint(newRoot)).toEqual(before);
    expect(tree(newRoot)).toBe(files);
  });
});
