/**
 * The app's source, as a tar file on disk (what `git archive` gives, gzip allowed), whatever it
 * arrived as. The archive is never unpacked on the host: it is scanned for the few small files the
 * build decides on, and unpacked inside the build container by Docker.
 */
import { createReadStream, lstatSync, mkdirSync, openSync, readSync, closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { formatBytes } from '../lib/read-capped.ts';
import { BuildError } from './errors.ts';
import { SourceRootCheck } from './tar-check.ts';
import { entryBytes, headerBytes, paddingFor, TarParser, type TarEntry } from '../lib/tar.ts';

/** Root files that steer the build; read whole while scanning (each at most 1 MiB, refused past it). */
export const BUILD_FILES = ['Procfile', 'app.json', '.buildpacks', 'Dockerfile', '.dockerignore'] as const;
export const MAX_BUILD_FILE = 1024 * 1024;

/** What a source may weigh once uncompressed (`DOKKU_MAX_ARCHIVE_BYTES`); a gzip bomb stops here. */
export interface SourceLimits {
  maxBytes: number;
}
export const DEFAULT_SOURCE_LIMITS: SourceLimits = { maxBytes: 2 * 1024 ** 3 };

export interface ScannedSource {
  /** Names at the root of the source (files and directories). */
  files: string[];
  /** Content of the BUILD_FILES present at the root as regular files. */
  buildFiles: Partial<Record<(typeof BUILD_FILES)[number], string>>;
}

export interface PreparedSource extends ScannedSource {
  /** A tar archive (possibly gzip-compressed) of the app, paths relative to its root. */
  tarPath: string;
}

/** A tar/tar.gz file is used as is; a directory is archived (without `.git`) into `workDir`. */
export async function prepareSource(path: string, workDir: string, limits: SourceLimits = DEFAULT_SOURCE_LIMITS, procfilePath = 'Procfile'): Promise<PreparedSource> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    throw new BuildError('source', `Source ${path} does not exist`);
  }
  let tarPath = path;
  if (stat.isDirectory()) {
    mkdirSync(workDir, { recursive: true });
    tarPath = join(workDir, 'source.tar');
    const result = await execa('tar', ['-C', path, '--exclude=./.git', '-cf', tarPath, '.'], { reject: false });
    if (result.exitCode !== 0) throw new BuildError('source', `Could not archive ${path}: ${result.stderr.trim()}`);
  } else if (!stat.isFile()) {
    throw new BuildError('source', `Source ${path} is neither a file nor a directory`);
  }
  return { tarPath, ...(await scanSource(tarPath, limits, procfilePath)) };
}

/**
 * Reads the whole archive once, as a stream, before anything is built: it must be a complete tar
 * (end marker included: a cut-off upload is refused, not built), every entry must stay inside the
 * source root (tar-check.ts), the build files must be small, and the uncompressed total must stay
 * under the limit. Only the build files are held in memory.
 */
export async function scanSource(tarPath: string, limits: SourceLimits = DEFAULT_SOURCE_LIMITS, procfilePath = 'Procfile'): Promise<ScannedSource> {
  // `ps:set procfile-path`: that file is read as the Procfile, and the root one is then ignored.
  const buildFileKey = (path: string): keyof ScannedSource['buildFiles'] | undefined =>
    path === procfilePath ? 'Procfile' : path !== 'Procfile' && (BUILD_FILES as readonly string[]).includes(path) ? (path as keyof ScannedSource['buildFiles']) : undefined;
  const files = new Set<string>();
  const buildFiles: ScannedSource['buildFiles'] = {};
  let entries = 0;
  const root = new SourceRootCheck();
  const parser = new TarParser({
    onHeader(header) {
      const problem = root.check(header);
      if (problem) throw new BuildError('source', `Refusing the archive: ${problem}`);
    },
    onEntry(entry) {
      entries++;
      const top = entry.path.split('/')[0];
      if (top) files.add(top);
      const wanted = entry.type === 'file' && buildFileKey(entry.path) !== undefined;
      if (wanted && (entry.size ?? 0) > MAX_BUILD_FILE) throw new BuildError('source', `${entry.path} is larger than 1 MiB`);
      return wanted;
    },
    onData(entry, data) {
      buildFiles[buildFileKey(entry.path)!] = data.toString('utf8');
    },
  });
  if (!isFileWithContent(tarPath)) throw new BuildError('source', 'The source archive is empty');
  try {
    for await (const chunk of sourceStream(tarPath, limits)) parser.push(chunk);
    parser.end();
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError('source', `The source is not a readable tar archive: ${(err as Error).message}`);
  }
  if (!parser.complete) throw new BuildError('source', 'The source archive is truncated: it ends without the end-of-archive marker');
  if (entries === 0) throw new BuildError('source', 'The source archive is empty');
  return { files: [...files].sort(), buildFiles };
}

function isFileWithContent(path: string): boolean {
  try {
    return lstatSync(path).size > 0;
  } catch {
    return false;
  }
}

/** The archive's tar bytes (gunzipped if need be), refused once they pass the limit. */
async function* sourceStream(tarPath: string, limits: SourceLimits): AsyncGenerator<Buffer> {
  const input = createReadStream(tarPath);
  const gzip = isGzipFile(tarPath);
  const stream = gzip ? input.pipe(createGunzip()) : input;
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > limits.maxBytes) {
        throw new BuildError('source', `The source archive is larger than ${formatBytes(limits.maxBytes)}${gzip ? ' once uncompressed' : ''} (DOKKU_MAX_ARCHIVE_BYTES)`);
      }
      yield chunk as Buffer;
    }
  } finally {
    input.destroy();
    if (stream !== input) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}

function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * A directory on the host as tar entries under `prefix` (for buildpacks, which are small).
 * Symlinks stay symlinks; `.git` is left out.
 */
export function directoryEntries(root: string, prefix: string, owner: { uid: number; gid: number }): TarEntry[] {
  const entries: TarEntry[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (rel === '' && name === '.git') continue;
      const relPath = rel ? `${rel}/${name}` : name;
      const full = join(root, relPath);
      const st = lstatSync(full);
      const path = `${prefix}/${relPath}`;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        entries.push({ path, type: 'dir', mode, ...owner });
        walk(relPath);
      } else if (st.isSymbolicLink()) {
        entries.push({ path, type: 'symlink', mode: 0o777, linkname: readlinkSync(full), ...owner });
      } else if (st.isFile()) {
        entries.push({ path, type: 'file', mode, data: readFileSync(full), ...owner });
      }
    }
  };
  entries.push({ path: prefix, type: 'dir', mode: 0o755, ...owner });
  walk('');
  return entries;
}

export interface RewriteOptions {
  /** Stops a source that grows past this once uncompressed (checked by scanSource before). */
  limits?: SourceLimits;
  /** Move every entry under this directory (which is emitted first). */
  prefix?: string;
  /** Own every entry by this user; setuid/setgid bits are dropped along the way. */
  owner?: { uid: number; gid: number };
  /** Leave out entries for which this says false (and, for a directory, what it holds). */
  keep?: (path: string) => boolean;
}

/**
 * The source archive re-written on the fly: for the build container, everything under `/app`
 * owned by the build user (no `chown -R` afterwards); for a Dockerfile build, without what
 * `.dockerignore` leaves out. Yields archive bytes without the end marker, so more can follow.
 */
export async function* rewrittenSource(tarPath: string, opts: RewriteOptions): AsyncGenerator<Buffer> {
  // Each entry's header goes out, then its content as it arrives: nothing is held whole.
  const out: Buffer[] = [];
  const { prefix, owner, keep } = opts;
  const parser = new TarParser({
    onEntry(entry) {
      if (keep && !keep(entry.path)) return false;
      const moved: TarEntry = { ...entry };
      delete moved.size;
      if (prefix) moved.path = entry.path === '' ? prefix : `${prefix}/${entry.path}`;
      if (owner) Object.assign(moved, owner, { mode: entry.mode & 0o1777 });
      if (prefix && entry.type === 'hardlink' && entry.linkname) moved.linkname = `${prefix}/${entry.linkname.replace(/^\.?\/+/, '')}`;
      out.push(headerBytes(moved, entry.type === 'file' ? (entry.size ?? 0) : 0));
      return entry.type === 'file' && (entry.size ?? 0) > 0 ? 'stream' : false;
    },
    onChunk: (_entry, chunk) => void out.push(chunk),
    onEnd: (entry) => void out.push(paddingFor(entry.size ?? 0)),
  });
  if (prefix) yield entryBytes({ path: prefix, type: 'dir', mode: 0o755, ...(owner ?? {}) });
  for await (const chunk of sourceStream(tarPath, opts.limits ?? DEFAULT_SOURCE_LIMITS)) {
    parser.push(chunk);
    if (out.length > 0) yield Buffer.concat(out.splice(0));
  }
  parser.end();
  if (out.length > 0) yield Buffer.concat(out.splice(0));
}
