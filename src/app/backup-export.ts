import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { DATABASE_ENTRY, entryPath, MANIFEST_ENTRY, renderManifest, SSH_FILES, BACKUP_FORMAT, type ArchiveEntry, type LogHead, type ManifestFile } from '../lib/backup-manifest.ts';
import { UserError } from '../lib/errors.ts';
import { detail, step } from '../lib/output.ts';
import { formatBytes } from '../lib/read-capped.ts';
import { serviceKind } from '../lib/services/index.ts';
import { certDir, gitRepoPath, sourcePath, type Settings } from '../lib/settings.ts';
import { TarGzWriter } from '../lib/tar-gzip-files.ts';
import { printable } from '../lib/validate.ts';
import { openDatabase } from '../state/db.ts';
import { GLOBAL_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { listApps, type AppRow } from '../state/queries.ts';
import type { ReleaseRecord } from '../state/release-decider.ts';
import { getRelease, loadReleaseState } from '../state/release-queries.ts';
import { listServices, type ServiceRow } from '../state/service-queries.ts';
import { listStorageEntries, type StorageEntry } from '../state/storage-queries.ts';
import { EventStore } from '../state/store.ts';
import { makeStaging, walkTree } from './backup-files.ts';
import { listPluginRows, type PluginRow } from '../state/plugin-state.ts';
import { pluginDirs } from '../plugins/dirs.ts';
import type { Context } from './context.ts';
import { dumpServiceToFile, type Say } from './services.ts';

/**
 * `backup:export`: the whole platform in one .tar.gz. The database is copied first, with SQLite's
 * online backup while dokku keeps running, and everything else is chosen from that copy, so the
 * archive's files are those of the state it records. Service dumps and saved images are made in a
 * staging directory (`$DOKKU_ROOT/.tmp`) before the first byte of the archive is written; then one
 * pass streams every entry through gzip, each file's size and sha256 taken on the way, and the
 * manifest listing them comes last. A file target is written as FILE.partial and renamed at the end.
 */

export type ExportTarget = { kind: 'file'; path: string; overwrite: boolean } | { kind: 'stream'; write: (chunk: Buffer) => void | Promise<void> };

export interface ExportResult {
  bytes: number;
  sha256: string;
  head: LogHead;
  files: number;
  file?: string;
}

/** Whether an app's current release travels as a saved image: with no kept source, nothing else builds it again (`rebuildSource`). Pure. */
export const needsSavedImage = (current: ReleaseRecord | undefined, hasSource: boolean): boolean => current !== undefined && !hasSource;

/** What the database copy says the archive holds besides itself. */
interface Contents {
  apps: AppRow[];
  images: Array<{ app: AppRow; ref: string }>;
  services: ServiceRow[];
  storage: StorageEntry[];
  plugins: PluginRow[];
  head: LogHead;
  events: number;
}

function readContents(store: EventStore, settings: Settings): Contents {
  const verified = store.verify();
  if (!verified.ok) throw new UserError(`The event log does not verify (${verified.reason}): run events:verify; nothing was exported`);
  const { db } = store;
  const apps = listApps(db);
  const images: Contents['images'] = [];
  for (const app of apps) {
    const current = loadReleaseState(db, app.id).current;
    const release = current === undefined ? undefined : getRelease(db, app.id, current);
    if (needsSavedImage(release, existsSync(sourcePath(settings, app.id)))) images.push({ app, ref: release!.imageTag });
  }
  return { apps, images, services: listServices(db), storage: listStorageEntries(db), plugins: listPluginRows(db), head: { position: verified.position, hash: verified.hash }, events: verified.count };
}

function checkTarget(target: ExportTarget): void {
  if (target.kind !== 'file') return;
  const { path } = target;
  if (!existsSync(dirname(path)) || !statSync(dirname(path)).isDirectory()) throw new UserError(`Cannot write ${printable(path)}: ${printable(dirname(path))} is not a directory`);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UserError(`Cannot write ${printable(path)}: it is a directory`);
    if (!target.overwrite) throw new UserError(`${printable(path)} already exists: give another file, or pass --force to replace it`);
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A file or directory this user may not read is the user's to fix: one line naming it, not a crash. */
async function readable<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'EACCES' && e.code !== 'EPERM') throw err;
    throw new UserError(`Cannot read ${e.path ?? 'a file'} as ${process.env.USER || `uid ${process.getuid?.()}`} (${e.code}): nothing was exported; run the export as a user who may read it`);
  }
}

export async function exportPlatform(ctx: Context, target: ExportTarget, say: Say): Promise<ExportResult> {
  checkTarget(target);
  const store = await ctx.store();
  const staging = makeStaging(ctx.settings, 'export');
  const partial = target.kind === 'file' ? `${target.path}.partial` : undefined;
  let fd: number | undefined;
  try {
    say(step(target.kind === 'file' ? `Exporting the platform to ${target.path}` : 'Exporting the platform'));
    const dbCopy = join(staging.dir, DATABASE_ENTRY);
    await store.db.backup(dbCopy);
    const copy = await openDatabase(dbCopy);
    let contents: Contents;
    try {
      contents = readContents(new EventStore(copy), ctx.settings);
    } finally {
      copy.close();
    }
    rmSync(`${dbCopy}-wal`, { force: true });
    rmSync(`${dbCopy}-shm`, { force: true });
    say(detail(`Database: ${plural(contents.events, 'event')}, head ${contents.head.position} ${contents.head.hash}`));

    const dumps: Array<{ entry: ArchiveEntry; disk: string }> = [];
    for (const s of contents.services) {
      const kind = serviceKind(s.kind);
      say(step(`Dumping ${kind.name} service ${s.name}`));
      const disk = join(staging.dir, `service-${s.id}`);
      const done = await dumpServiceToFile(ctx, kind, s, disk);
      say(detail(`${formatBytes(done.bytes)}`));
      dumps.push({ entry: { kind: 'service', serviceKind: kind.name, name: s.name, file: kind.dumpFile }, disk });
    }
    const saved: Array<{ entry: ArchiveEntry; disk: string }> = [];
    if (contents.images.length) {
      const [{ connectDocker }, { saveImageArchive }] = await Promise.all([import('../lib/docker-client.ts'), import('../builder/image-save.ts')]);
      const docker = await connectDocker(ctx.settings);
      for (const { app, ref } of contents.images) {
        say(step(`Saving the image of ${app.name} (${ref})`));
        const disk = join(staging.dir, `image-${app.id}.tar`);
        await saveImageArchive(docker, ref, disk);
        saved.push({ entry: { kind: 'image', appId: app.id }, disk });
      }
    }

    if (partial) fd = openSync(partial, 'w', 0o600);
    const out = fd;
    const writer = new TarGzWriter(out !== undefined ? (c) => void writeSync(out, c) : (c) => (target as Extract<ExportTarget, { kind: 'stream' }>).write(c));
    const files: ManifestFile[] = [];
    const dirs: string[] = [];
    const skipped: string[] = [];
    const addFile = async (entry: ArchiveEntry, disk: string, mode?: number) => {
      const path = entryPath(entry);
      files.push({ path, ...(await readable(() => writer.file(path, disk, mode === undefined ? {} : { mode }))) });
    };
    /** A directory tree under an entry's root: each directory and file as an entry of that kind at its path. */
    const addTree = async (disk: string, at: (rel: string) => ArchiveEntry) => {
      for (const t of await readable(async () => walkTree(disk, skipped))) {
        const path = entryPath(at(t.rel));
        if (t.type === 'dir') {
          await writer.dir(path, t.mode & 0o777, t.mtime);
          dirs.push(path);
        } else {
          files.push({ path, ...(await readable(() => writer.file(path, t.disk, { mode: t.mode & 0o777, uid: t.uid, gid: t.gid }))) });
        }
      }
    };

    say(step('Writing the archive'));
    await addFile({ kind: 'database' }, dbCopy, 0o600);
    for (const file of SSH_FILES) {
      const disk = join(ctx.settings.root, '.ssh', file);
      if (existsSync(disk)) await addFile({ kind: 'ssh', file }, disk);
    }
    let repos = 0;
    let sources = 0;
    let certs = 0;
    for (const app of contents.apps) {
      const repo = gitRepoPath(ctx.settings, app.name);
      if (existsSync(repo)) {
        await addTree(repo, (rel) => ({ kind: 'repo', app: app.name, path: rel }));
        repos++;
      }
      const source = sourcePath(ctx.settings, app.id);
      if (existsSync(source)) {
        await addFile({ kind: 'source', appId: app.id }, source);
        sources++;
      }
      const cert = certDir(ctx.settings, app.id);
      if (existsSync(cert)) {
        await addTree(cert, (rel) => ({ kind: 'cert', appId: app.id, path: rel }));
        certs++;
      }
    }
    let storage = 0;
    for (const e of contents.storage) {
      if (!existsSync(e.path)) {
        say(detail(`Storage entry ${e.name}: ${e.path} does not exist, left out`));
        continue;
      }
      await addTree(e.path, (rel) => ({ kind: 'storage', entry: e.name, path: rel }));
      storage++;
    }
    // Installed plugins' files (their events are in the log): a new host needs no plugin source.
    let plugins = 0;
    for (const plugin of contents.plugins) {
      const dir = join(pluginDirs(ctx.settings).available, plugin.name);
      if (!existsSync(dir)) { say(detail(`Plugin ${plugin.name}: its files are missing, left out`)); continue; }
      await addTree(dir, (rel) => ({ kind: 'plugin', name: plugin.name, path: rel }));
      plugins++;
    }
    for (const s of [...saved, ...dumps]) await addFile(s.entry, s.disk, 0o600);
    for (const s of skipped) say(detail(`Left out ${s}: not a regular file or directory`));
    say(detail([plural(contents.apps.length, 'app'), plural(repos, 'repository', 'repositories'), plural(sources, 'source'), plural(certs, 'certificate'), plural(storage, 'storage entry', 'storage entries'), plural(saved.length, 'saved image'), plural(dumps.length, 'service dump'), plural(plugins, 'plugin')].join(', ')));

    const createdAt = new Date();
    const manifest = renderManifest({
      format: BACKUP_FORMAT,
      dokkuVersion: pkg.version,
      createdAt: createdAt.toISOString(),
      head: contents.head,
      events: contents.events,
      dirs,
      files,
    });
    await writer.buffer(MANIFEST_ENTRY, Buffer.from(manifest), 0o600, Math.floor(createdAt.getTime() / 1000));
    const done = await writer.finish();
    if (fd !== undefined) {
      closeSync(fd);
      fd = undefined;
      renameSync(partial!, (target as Extract<ExportTarget, { kind: 'file' }>).path);
    }
    const result: ExportResult = { bytes: done.bytes, sha256: done.sha256, head: contents.head, files: files.length, ...(target.kind === 'file' ? { file: target.path } : {}) };
    execute(store, GLOBAL_STREAM, () => null, () => [{ type: 'PlatformExported', data: result }], ctx.actor);
    say(step(`Exported ${formatBytes(done.bytes)}${target.kind === 'file' ? ` to ${target.path}` : ''}`));
    say(detail(`sha256 ${done.sha256}`));
    say(detail(`head ${contents.head.position} ${contents.head.hash}`));
    return result;
  } catch (err) {
    if (partial) rmSync(partial, { force: true });
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
    staging.remove();
  }
}
