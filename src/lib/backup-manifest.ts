/**
 * The platform backup's archive as values: the name each piece of the platform has in it, the
 * manifest that lists every entry with its size and sha256, and the rules an import checks before
 * it writes anything. Pure: the use cases (app/backup-*.ts) read and write the files.
 *
 *   dokku.db                               the database (the log and its projections)
 *   git/<app>.git/…                        an app's bare repository
 *   sources/<app id>.tar                   the last source that built (what ps:rebuild builds)
 *   certs/<app id>/server.crt|server.key   an app's certificate
 *   storage/<entry>/…                      a storage entry's directory
 *   plugins/<name>/…                       an installed plugin's directory (plugins/available/<name>)
 *   images/<app id>.tar                    `docker save` of an image app's current release
 *   services/<kind>/<name>/<dump file>     a service's dump
 *   ssh/id_ed25519|id_ed25519.pub|known_hosts   dokku's deploy key and the hosts it trusts
 *   manifest.json                          the last entry: every other entry, with size and sha256
 */
import { UserError } from './errors.ts';
import { isServiceKind, serviceKind } from './services/index.ts';
import { validateServiceName } from './services/kind.ts';
import { storageNameProblem } from './storage.ts';
import { validatePluginName } from './plugin-manifest.ts';
import { printable, validateAppName } from './validate.ts';

/** The archive layout this dokku writes; an archive of a later format is refused. */
export const BACKUP_FORMAT = 1;
export const MANIFEST_ENTRY = 'manifest.json';
export const DATABASE_ENTRY = 'dokku.db';
/** The files of `$DOKKU_ROOT/.ssh` that are platform state (authorized_keys is rendered from the log). */
export const SSH_FILES = ['id_ed25519', 'id_ed25519.pub', 'known_hosts'] as const;

export type ArchiveEntry =
  | { kind: 'database' }
  | { kind: 'manifest' }
  /** `path` inside the repository; '' is the repository's directory itself. */
  | { kind: 'repo'; app: string; path: string }
  | { kind: 'source'; appId: string }
  | { kind: 'cert'; appId: string; path: string }
  | { kind: 'storage'; entry: string; path: string }
  | { kind: 'plugin'; name: string; path: string }
  | { kind: 'image'; appId: string }
  | { kind: 'service'; serviceKind: string; name: string; file: string }
  | { kind: 'ssh'; file: string };

const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/** An entry's name in the archive. */
export function entryPath(e: ArchiveEntry): string {
  switch (e.kind) {
    case 'database':
      return DATABASE_ENTRY;
    case 'manifest':
      return MANIFEST_ENTRY;
    case 'repo':
      return join('git', `${e.app}.git`, e.path);
    case 'source':
      return `sources/${e.appId}.tar`;
    case 'cert':
      return join('certs', e.appId, e.path);
    case 'storage':
      return join('storage', e.entry, e.path);
    case 'plugin':
      return join('plugins', e.name, e.path);
    case 'image':
      return `images/${e.appId}.tar`;
    case 'service':
      return `services/${e.serviceKind}/${e.name}/${e.file}`;
    case 'ssh':
      return `ssh/${e.file}`;
  }
}

const APP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEGMENT_MAX = 255;

const unknown = (path: string, why?: string): UserError =>
  new UserError(`The archive has an entry dokku does not restore: ${printable(path)}${why ? ` (${why})` : ''}`);

function appName(path: string, name: string): string {
  try {
    return validateAppName(name);
  } catch (err) {
    throw unknown(path, (err as Error).message);
  }
}

function appId(path: string, id: string): string {
  if (!APP_ID.test(id)) throw unknown(path, 'not an app id');
  return id;
}

/** The rest of a path below an entry's root: plain names only. */
function rest(path: string, parts: string[]): string {
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') throw unknown(path, "'..', '.' or an empty name in it");
    if (Buffer.byteLength(p) > SEGMENT_MAX) throw unknown(path, 'a name longer than 255 bytes');
    if (/[\0]/.test(p)) throw unknown(path, 'a NUL byte in it');
  }
  return parts.join('/');
}

/**
 * What an archive entry is, from its (normalised) name and type: only the names dokku writes, each
 * with names that pass the checks the commands apply (app names, app ids, storage and service
 * names, the kind's dump file). Anything else is refused with one line naming it.
 */
export function parseEntryPath(path: string, type: 'file' | 'dir'): ArchiveEntry {
  const parts = path.split('/');
  const [top, second, ...more] = parts;
  const isFile = type === 'file';
  if (parts.length === 1 && isFile && top === DATABASE_ENTRY) return { kind: 'database' };
  if (parts.length === 1 && isFile && top === MANIFEST_ENTRY) return { kind: 'manifest' };
  if (second === undefined) throw unknown(path);
  switch (top) {
    case 'git': {
      if (!second.endsWith('.git')) throw unknown(path, 'a repository is named <app>.git');
      const inside = rest(path, more);
      if (isFile && inside === '') throw unknown(path, 'a repository is a directory');
      return { kind: 'repo', app: appName(path, second.slice(0, -4)), path: inside };
    }
    case 'sources':
      if (!isFile || more.length || !second.endsWith('.tar')) throw unknown(path);
      return { kind: 'source', appId: appId(path, second.slice(0, -4)) };
    case 'images':
      if (!isFile || more.length || !second.endsWith('.tar')) throw unknown(path);
      return { kind: 'image', appId: appId(path, second.slice(0, -4)) };
    case 'certs': {
      // A certificate directory holds files only.
      if (more.length > 1 || (isFile ? more.length !== 1 : more.length !== 0)) throw unknown(path);
      return { kind: 'cert', appId: appId(path, second), path: rest(path, more) };
    }
    case 'storage': {
      const problem = storageNameProblem(second);
      if (problem) throw unknown(path, problem);
      const inside = rest(path, more);
      if (isFile && inside === '') throw unknown(path, 'a storage entry is a directory');
      return { kind: 'storage', entry: second, path: inside };
    }
    case 'plugins': {
      try {
        validatePluginName(second);
      } catch (err) {
        throw unknown(path, (err as Error).message);
      }
      const inside = rest(path, more);
      if (isFile && inside === '') throw unknown(path, 'a plugin is a directory');
      return { kind: 'plugin', name: second, path: inside };
    }
    case 'services': {
      const [name, file, ...beyond] = more;
      if (!isFile || name === undefined || file === undefined || beyond.length) throw unknown(path);
      if (!isServiceKind(second)) throw unknown(path, `no service kind ${printable(second)}`);
      try {
        validateServiceName(name);
      } catch (err) {
        throw unknown(path, (err as Error).message);
      }
      if (file !== serviceKind(second).dumpFile) throw unknown(path, `a ${second} dump is named ${serviceKind(second).dumpFile}`);
      return { kind: 'service', serviceKind: second, name, file };
    }
    case 'ssh':
      if (!isFile || more.length || !(SSH_FILES as readonly string[]).includes(second)) throw unknown(path);
      return { kind: 'ssh', file: second };
    default:
      throw unknown(path);
  }
}

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/** The head of the event log in the archive's database, as `events:verify` prints it. */
export interface LogHead {
  position: number;
  hash: string;
}

export interface Manifest {
  format: number;
  dokkuVersion: string;
  createdAt: string;
  head: LogHead;
  /** Events in the log (equal to the head's position for a log that verifies). */
  events: number;
  /** Directories, in archive order (so empty ones come back: a bare repository's refs/). */
  dirs: string[];
  /** Every file but the manifest, in archive order. */
  files: ManifestFile[];
}

export function renderManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

const bad = (why: string): UserError => new UserError(`The archive's manifest.json is not one backup:export writes: ${why}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHA256 = /^[0-9a-f]{64}$/;

/** The manifest, checked field by field; a later format is refused by name. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isObject(raw)) throw bad('not an object');
  const { format, dokkuVersion, createdAt, head, events, dirs, files } = raw;
  if (!Number.isInteger(format) || (format as number) < 1) throw bad('no format version');
  if ((format as number) > BACKUP_FORMAT) {
    throw new UserError(`The archive is of backup format ${format as number}, written by a newer dokku (${printable(String(dokkuVersion))}); this dokku reads format ${BACKUP_FORMAT}. Upgrade dokku to import it.`);
  }
  if (typeof dokkuVersion !== 'string' || typeof createdAt !== 'string') throw bad('no dokkuVersion or createdAt');
  if (!isObject(head) || !Number.isInteger(head.position) || (head.position as number) < 0 || typeof head.hash !== 'string' || !SHA256.test(head.hash)) throw bad('no head (position and hash)');
  if (!Number.isInteger(events)) throw bad('no event count');
  if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string')) throw bad('no list of directories');
  if (!Array.isArray(files)) throw bad('no list of files');
  const checked: ManifestFile[] = files.map((f) => {
    if (!isObject(f) || typeof f.path !== 'string' || !Number.isSafeInteger(f.size) || (f.size as number) < 0 || typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) {
      throw bad(`a file entry without path, size and sha256 (${printable(JSON.stringify(f) ?? '')})`);
    }
    return { path: f.path, size: f.size as number, sha256: f.sha256 };
  });
  return { format: format as number, dokkuVersion, createdAt, head: { position: head.position as number, hash: head.hash }, events: events as number, dirs: dirs as string[], files: checked };
}

/** What an import read out of the archive, entry by entry. */
export interface SeenEntries {
  files: ReadonlyMap<string, { size: number; sha256: string }>;
  dirs: ReadonlySet<string>;
}

/**
 * The first way the archive's entries differ from its manifest (undefined: they agree): a file
 * missing, one not listed, one whose size or sha256 is not the manifest's, a directory missing or
 * not listed, or no database at all.
 */
export function manifestProblem(m: Manifest, seen: SeenEntries): string | undefined {
  const listed = new Map(m.files.map((f) => [f.path, f]));
  if (listed.size !== m.files.length) return 'The manifest lists a file twice';
  if (!listed.has(DATABASE_ENTRY)) return `The archive has no ${DATABASE_ENTRY}`;
  for (const f of m.files) {
    const got = seen.files.get(f.path);
    if (!got) return `${printable(f.path)} is listed in the manifest but missing from the archive`;
    if (got.size !== f.size || got.sha256 !== f.sha256) return `${printable(f.path)} does not match its checksum in the manifest (sha256 ${got.sha256.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…)`;
  }
  for (const path of seen.files.keys()) if (!listed.has(path)) return `${printable(path)} is in the archive but not in its manifest`;
  const dirs = new Set(m.dirs);
  for (const d of m.dirs) if (!seen.dirs.has(d)) return `${printable(d)}/ is listed in the manifest but missing from the archive`;
  for (const d of seen.dirs) if (!dirs.has(d)) return `${printable(d)}/ is in the archive but not in its manifest`;
  return undefined;
}

/** What the target platform holds now. */
export interface TargetPlatform {
  apps: number;
  services: number;
  events: number;
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** An import goes onto an empty platform only, unless `--force` says to replace the one there. */
export function notEmptyRefusal(t: TargetPlatform, force: boolean): string | undefined {
  if (force || (t.apps === 0 && t.services === 0 && t.events === 0)) return undefined;
  const what = [count(t.apps, 'app'), count(t.services, 'service'), count(t.events, 'event')].join(', ');
  return `The platform is not empty (${what}): import onto a fresh DOKKU_ROOT, or pass --force to replace it`;
}

/**
 * Files or directories the import would write over (a storage entry's directory that holds files,
 * a repository already there), and Docker containers that already carry the names the platform's
 * apps and services use (names are the engine's, shared by every DOKKU_ROOT on it).
 */
export function occupiedRefusal(paths: readonly string[], containers: readonly string[], force: boolean): string | undefined {
  if (force) return undefined;
  if (paths.length) return `${printable(paths[0]!)} already holds data${paths.length > 1 ? ` (and ${paths.length - 1} more)` : ''}: move it away, or pass --force to write over it`;
  if (containers.length) {
    return `Docker already has container ${printable(containers[0]!)}${containers.length > 1 ? ` (and ${containers.length - 1} more)` : ''} of an app or service in the archive: remove it first (another platform on this engine?), or pass --force`;
  }
  return undefined;
}

/** The database's head must be the one the manifest recorded when the archive was made. */
export function headProblem(manifest: Pick<Manifest, 'head'>, found: LogHead): string | undefined {
  if (found.position === manifest.head.position && found.hash === manifest.head.hash) return undefined;
  return `The event log in the archive ends at ${found.position} ${found.hash.slice(0, 12)}…, but its manifest says ${manifest.head.position} ${manifest.head.hash.slice(0, 12)}…`;
}
