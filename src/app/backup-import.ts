import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DATABASE_ENTRY, headProblem, MANIFEST_ENTRY, manifestProblem, notEmptyRefusal, occupiedRefusal, parseEntryPath, parseManifest,
  type ArchiveEntry, type Manifest, type TargetPlatform,
} from '../lib/backup-manifest.ts';
import { UserError } from '../lib/errors.ts';
import { detail, step } from '../lib/output.ts';
import { formatBytes, readFileCapped } from '../lib/read-capped.ts';
import { selfCommand } from '../lib/self.ts';
import { certDir, gitRepoPath, serviceDir, sourcePath, type Settings } from '../lib/settings.ts';
import { copyInputToFile } from '../lib/stdin.ts';
import { extractTarGz, startsAsGzip, type Extracted } from '../lib/tar-gzip-files.ts';
import { printable } from '../lib/validate.ts';
import type { Database } from '../state/db.ts';
import { GLOBAL_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { openStateDatabase } from '../state/open.ts';
import { listApps, type AppRow } from '../state/queries.ts';
import { listServices, type ServiceRow } from '../state/service-queries.ts';
import { listStorageEntries, type StorageEntry } from '../state/storage-queries.ts';
import { listPluginRows } from '../state/plugin-state.ts';
import { pluginDirs } from '../plugins/dirs.ts';
import { enableOnDisk } from './plugins.ts';
import { EventStore } from '../state/store.ts';
import { holdsData, makeStaging } from './backup-files.ts';
import { bringBack, type Restorable } from './backup-restore.ts';
import type { Context } from './context.ts';
import { syncAuthorizedKeys } from './keys.ts';
import type { Say } from './services.ts';

/**
 * `backup:import FILE|-`: a `backup:export` archive back onto a fresh DOKKU_ROOT. Everything is
 * read and checked before anything outside the staging directory (`$DOKKU_ROOT/.tmp`) is written:
 * the target must be empty (no app, service or event) unless `--force`; the input must be a gzip
 * tar of the entries dokku writes and nothing else; every entry must match the manifest's size and
 * sha256, none missing, none extra; the database's hash chain must verify and end at the manifest's
 * head; every entry must belong to an app, service or storage entry of that database; and nothing
 * on disk or in Docker may be in the way. Then the files move into place, the import is recorded
 * (PlatformImported), and the platform is brought back (backup-restore.ts).
 */

export interface ImportOptions {
  force: boolean;
}

export interface ImportResult {
  apps: number;
  services: number;
  /** What could not be brought back (each said on its own line already). */
  failed: string[];
}

/** The database where the target keeps it: counted without creating one where none is. */
async function targetPlatform(settings: Settings): Promise<TargetPlatform> {
  const path = settings.dbPath;
  if (!existsSync(path) || (statSync(path).isFile() && statSync(path).size === 0)) return { apps: 0, services: 0, events: 0 };
  const db = await openStateDatabase(path);
  try {
    const n = (sql: string) => db.prepare(sql).get<{ n: number }>()?.n ?? 0;
    return { apps: n('SELECT count(*) AS n FROM apps'), services: n('SELECT count(*) AS n FROM services'), events: n('SELECT count(*) AS n FROM events') };
  } finally {
    db.close();
  }
}

/** What the verified archive holds, by what each entry belongs to. */
interface Verified {
  manifest: Manifest;
  extracted: Extracted;
  /** Where the archive's tree was extracted. */
  tree: string;
  apps: AppRow[];
  services: ServiceRow[];
  storage: StorageEntry[];
  entries: Array<{ path: string; entry: ArchiveEntry }>;
}

/** Every archive entry must name something the archive's own database has. */
function orphanProblem(entries: Verified['entries'], apps: AppRow[], services: ServiceRow[], storage: StorageEntry[], plugins: ReadonlySet<string>): string | undefined {
  const names = new Set(apps.map((a) => a.name));
  const ids = new Set(apps.map((a) => a.id));
  const svc = new Set(services.map((s) => `${s.kind}/${s.name}`));
  const entryNames = new Set(storage.map((s) => s.name));
  for (const { path, entry: e } of entries) {
    const missing =
      (e.kind === 'repo' && !names.has(e.app) && `app ${e.app}`) ||
      ((e.kind === 'source' || e.kind === 'cert' || e.kind === 'image') && !ids.has(e.appId) && `app id ${e.appId}`) ||
      (e.kind === 'storage' && !entryNames.has(e.entry) && `storage entry ${e.entry}`) ||
      (e.kind === 'plugin' && !plugins.has(e.name) && `plugin ${e.name}`) ||
      (e.kind === 'service' && !svc.has(`${e.serviceKind}/${e.name}`) && `${e.serviceKind} service ${e.name}`);
    if (missing) return `${printable(path)} belongs to ${missing}, which the archive's database does not have`;
  }
  const dumped = new Set(entries.flatMap(({ entry: e }) => (e.kind === 'service' ? [`${e.serviceKind}/${e.name}`] : [])));
  const undumped = services.find((s) => !dumped.has(`${s.kind}/${s.name}`));
  if (undumped) return `The archive has no dump of ${undumped.kind} service ${undumped.name}`;
  return undefined;
}

async function readArchive(file: string, tree: string, say: Say): Promise<Verified> {
  if (!startsAsGzip(file)) throw new UserError(`${printable(file)} is not a backup:export archive (not a gzip file): nothing was imported`);
  const entries: Verified['entries'] = [];
  say(step('Reading the archive'));
  const extracted = await extractTarGz(file, printable(file), (t) => {
    const entry = parseEntryPath(t.path, t.type === 'dir' ? 'dir' : 'file');
    entries.push({ path: t.path, entry });
    return join(tree, t.path);
  });
  if (!extracted.files.has(MANIFEST_ENTRY)) throw new UserError(`${printable(file)} has no ${MANIFEST_ENTRY}: not a backup:export archive`);
  const manifest = parseManifest(readFileCapped(join(tree, MANIFEST_ENTRY), 64 * 1024 * 1024, `the archive's ${MANIFEST_ENTRY}`).toString('utf8'));
  const files = new Map(extracted.files);
  files.delete(MANIFEST_ENTRY);
  const problem = manifestProblem(manifest, { files, dirs: extracted.dirs });
  if (problem) throw new UserError(`${problem}: nothing was imported`);
  say(detail(`${files.size} files match the manifest (export of ${manifest.createdAt}, dokku ${manifest.dokkuVersion})`));

  let db: Database;
  try {
    db = await openStateDatabase(join(tree, DATABASE_ENTRY));
  } catch (err) {
    throw new UserError(`The archive's ${DATABASE_ENTRY} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const verified = new EventStore(db).verify();
    if (!verified.ok) throw new UserError(`The event log in the archive does not verify: ${verified.reason}; nothing was imported`);
    const head = headProblem(manifest, verified);
    if (head) throw new UserError(`${head}: nothing was imported`);
    say(detail(`Event log verified: ${verified.count} events, head ${verified.position} ${verified.hash}`));
    const apps = listApps(db);
    const services = listServices(db);
    const storage = listStorageEntries(db);
    const orphan = orphanProblem(entries.filter((e) => e.entry.kind !== 'database' && e.entry.kind !== 'manifest'), apps, services, storage, new Set(listPluginRows(db).map((p) => p.name)));
    if (orphan) throw new UserError(`${orphan}: nothing was imported`);
    return { manifest, extracted, tree, apps, services, storage, entries };
  } finally {
    db.close();
    rmSync(join(tree, `${DATABASE_ENTRY}-wal`), { force: true });
    rmSync(join(tree, `${DATABASE_ENTRY}-shm`), { force: true });
  }
}

/** The top of each tree the import puts somewhere: archive path → where it goes. */
function destinations(settings: Settings, v: Verified): Array<{ from: string; to: string }> {
  const out = new Map<string, string>();
  const byName = new Map(v.storage.map((s) => [s.name, s]));
  for (const { entry: e } of v.entries) {
    if (e.kind === 'repo') out.set(`git/${e.app}.git`, gitRepoPath(settings, e.app));
    else if (e.kind === 'source') out.set(`sources/${e.appId}.tar`, sourcePath(settings, e.appId));
    else if (e.kind === 'cert') out.set(`certs/${e.appId}`, certDir(settings, e.appId));
    else if (e.kind === 'storage') out.set(`storage/${e.entry}`, byName.get(e.entry)!.path);
    else if (e.kind === 'ssh') out.set(`ssh/${e.file}`, join(settings.root, '.ssh', e.file));
    else if (e.kind === 'plugin') out.set(`plugins/${e.name}`, join(pluginDirs(settings).available, e.name));
  }
  return [...out].map(([from, to]) => ({ from, to }));
}

/** Headers' modes (and, run by root, a storage entry's owners) and times on the extracted files. */
function applyHeaders(v: Verified): void {
  const asRoot = process.getuid?.() === 0;
  const dirs: Array<[string, number, number]> = [];
  for (const [path, h] of v.extracted.entries) {
    const disk = join(v.tree, path);
    if (path === DATABASE_ENTRY) continue;
    if (asRoot && path.startsWith('storage/')) chownSync(disk, h.uid ?? 0, h.gid ?? 0);
    if (h.type === 'dir') {
      dirs.push([disk, h.mode & 0o777, h.mtime ?? 0]);
      continue;
    }
    chmodSync(disk, h.mode & 0o777);
    if (h.mtime) utimesSync(disk, h.mtime, h.mtime);
  }
  // Deepest first, so a directory's own time is set after its files went in.
  for (const [disk, mode, mtime] of dirs.sort((a, b) => b[0].length - a[0].length)) {
    chmodSync(disk, mode);
    if (mtime) utimesSync(disk, mtime, mtime);
  }
}

/**
 * Moves a tree into place: a rename on the same filesystem, else a copy; over what is there (--force)
 * it merges. Directories it makes on the way are private, but a storage entry's (0755, as
 * `storage:create` makes the storage root).
 */
function moveInto(from: string, to: string, parentMode = 0o700): void {
  mkdirSync(dirname(to), { recursive: true, mode: parentMode });
  if (existsSync(to)) {
    cpSync(from, to, { recursive: true, force: true, preserveTimestamps: true });
    return;
  }
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    cpSync(from, to, { recursive: true, preserveTimestamps: true });
  }
}

/** The database into place; one it replaces (--force) is moved aside, with its -wal and -shm, and named. */
function placeDatabase(settings: Settings, staged: string): string | undefined {
  const path = settings.dbPath;
  let replaced: string | undefined;
  if (existsSync(path)) {
    replaced = `${path}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${replaced}${suffix}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  try {
    renameSync(staged, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    copyFileSync(staged, path);
  }
  chmodSync(path, 0o600);
  return replaced;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export async function importPlatform(ctx: Context, input: { file: string } | { stdin: NodeJS.ReadableStream }, opts: ImportOptions, say: Say): Promise<ImportResult> {
  if ('file' in input && (!existsSync(input.file) || !statSync(input.file).isFile())) throw new UserError(`${printable(input.file)} is not a file`);
  const refusal = notEmptyRefusal(await targetPlatform(ctx.settings), opts.force);
  if (refusal) throw new UserError(refusal);
  const staging = makeStaging(ctx.settings, 'import');
  let store: EventStore | undefined;
  try {
    let file: string;
    if ('file' in input) file = input.file;
    else {
      file = join(staging.dir, 'input.tar.gz');
      await copyInputToFile(input.stdin, file, { maxBytes: Number.MAX_SAFE_INTEGER, what: 'the archive on stdin' });
    }
    const tree = join(staging.dir, 'archive');
    mkdirSync(tree, { mode: 0o700 });
    const v = await readArchive(file, tree, say);

    const places = destinations(ctx.settings, v);
    const occupied = [
      ...places.filter((p) => holdsData(p.to)).map((p) => p.to),
      ...v.services.map((s) => join(serviceDir(ctx.settings, s.kind, s.name), 'data')).filter(holdsData),
    ];
    let containers: string[] = [];
    if (!opts.force && (v.apps.length || v.services.length)) {
      const [{ connectDocker }, { existingContainers }] = await Promise.all([import('../lib/docker-client.ts'), import('../runtime/platform-containers.ts')]);
      containers = await existingContainers(await connectDocker(ctx.settings), v.apps.map((a) => a.name), v.services);
    }
    const occupiedWhy = occupiedRefusal(occupied, containers, opts.force);
    if (occupiedWhy) throw new UserError(`${occupiedWhy}: nothing was imported`);

    // Checked: from here on the platform is written.
    applyHeaders(v);
    say(step(`Restoring the database (${v.manifest.events} events) and files`));
    ctx.close();
    const replaced = placeDatabase(ctx.settings, join(tree, DATABASE_ENTRY));
    if (replaced) say(detail(`The database it replaces is kept as ${replaced}`));
    for (const p of places) moveInto(join(tree, p.from), p.to, p.from.startsWith('storage/') || p.from.startsWith('plugins/') ? 0o755 : 0o700);
    store = new EventStore(await openStateDatabase(ctx.settings.dbPath));
    // Enabled plugins are links beside their directories, as plugin:enable makes them.
    const dirs = pluginDirs(ctx.settings);
    for (const plugin of listPluginRows(store.db).filter((p) => p.enabled)) {
      if (existsSync(join(dirs.available, plugin.name))) enableOnDisk(dirs, plugin.name);
    }
    const opened = store;
    const imported: Context = { ...ctx, store: async () => opened, close: () => opened.db.close() };
    const { ensureRepo, renderPreReceiveHook } = await import('../git/repo.ts');
    for (const app of v.apps) {
      const repo = gitRepoPath(ctx.settings, app.name);
      if (existsSync(join(repo, 'HEAD'))) await ensureRepo(repo, renderPreReceiveHook(selfCommand(), app.name));
    }
    say(detail(`${plural(v.apps.length, 'app')}, ${plural(v.services.length, 'service')}, ${plural(v.storage.length, 'storage entry', 'storage entries')}; ${formatBytes(v.extracted.bytes)} read`));
    execute(
      store,
      GLOBAL_STREAM,
      () => null,
      () => [{
        type: 'PlatformImported',
        data: {
          bytes: v.extracted.bytes,
          sha256: v.extracted.sha256,
          head: v.manifest.head,
          exportedAt: v.manifest.createdAt,
          dokkuVersion: v.manifest.dokkuVersion,
          apps: v.apps.length,
          services: v.services.length,
          ...(replaced ? { replaced } : {}),
        },
      }],
      ctx.actor,
    );
    await syncAuthorizedKeys(imported);

    const restorable: Restorable = { images: new Map(), dumps: new Map() };
    for (const { path, entry: e } of v.entries) {
      if (e.kind === 'image') restorable.images.set(e.appId, join(tree, path));
      if (e.kind === 'service') restorable.dumps.set(`${e.serviceKind}/${e.name}`, join(tree, path));
    }
    const failed = await bringBack(imported, restorable, say);
    return { apps: v.apps.length, services: v.services.length, failed };
  } finally {
    store?.db.close();
    staging.remove();
  }
}
