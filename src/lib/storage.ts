import { printable } from './validate.ts';
import type { Mount } from './run-settings.ts';

/**
 * Storage mounts and named entries as rules: names, host and container paths, mount options, and
 * Docker's bind strings. Pure: whether a host path exists, and whose it is, is the use case's to ask.
 */

/** `storage:ensure-directory --chown` owners, as Dokku's (herokuish runs apps as 32767). */
export const CHOWN: Readonly<Record<string, { uid: number; gid: number } | null>> = {
  herokuish: { uid: 32767, gid: 32767 },
  heroku: { uid: 1000, gid: 1000 },
  packeto: { uid: 2000, gid: 2000 },
  root: { uid: 0, gid: 0 },
  false: null,
};

export function chownProblem(v: string): string | undefined {
  return Object.hasOwn(CHOWN, v) ? undefined : `Invalid --chown '${printable(v)}': use herokuish, heroku, packeto, root or false`;
}

/** One path segment under the storage root: what `storage:create NAME` and `ensure-directory` take. */
export function storageNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name) || name.includes('..')) {
    return `Invalid storage name '${printable(name)}': lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63`;
  }
  return undefined;
}

const MAX_PATH = 4096;

/** An absolute path without `..`, `.` or empty segments, control characters or a colon (Docker's separator). */
export function absolutePathProblem(path: string, what: string): string | undefined {
  if (path.length === 0) return `The ${what} is empty`;
  if (path.length > MAX_PATH) return `The ${what} is longer than ${MAX_PATH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f:,]/.test(path)) return `The ${what} '${printable(path)}' has a control character, ':' or ','`;
  if (!path.startsWith('/')) return `The ${what} '${printable(path)}' is not absolute: start it with /`;
  const segments = path.split('/').slice(1);
  if (segments.some((s, i) => s === '..' || s === '.' || (s === '' && i < segments.length - 1))) return `The ${what} '${printable(path)}' has '..', '.' or '//' in it`;
  return undefined;
}

/** Where a mount may land in the container: absolute, and not `/` or `/app` itself (the app's code). */
export function containerPathProblem(path: string): string | undefined {
  const problem = absolutePathProblem(path, 'container path');
  if (problem) return problem;
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/' || clean === '/app') return `Mounting onto ${clean} would hide the app itself: mount into a directory below it, e.g. /app/storage`;
  return undefined;
}

const OPTIONS = new Set(['ro', 'rw', 'z', 'Z', 'shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate', 'nocopy', 'delegated', 'cached', 'consistent']);

export function mountOptionsProblem(options: string): string | undefined {
  const words = options.split(',');
  for (const w of words) if (!OPTIONS.has(w)) return `Invalid mount option '${printable(w)}': use ${[...OPTIONS].join(', ')}`;
  if (words.includes('ro') && words.includes('rw')) return 'A mount is ro or rw, not both';
  return undefined;
}

/** Dokku's legacy `host-dir:container-dir[:options]`, each part checked. */
export function parseMountSpec(spec: string): Mount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`Invalid mount '${printable(spec)}': use /host/dir:/container/dir[:options]`);
  const [host, container, options] = parts as [string, string, string | undefined];
  const problem = absolutePathProblem(host, 'host path') ?? containerPathProblem(container) ?? (options !== undefined ? mountOptionsProblem(options) : undefined);
  if (problem) throw new Error(problem);
  return { host: trimSlash(host), container: trimSlash(container), ...(options ? { options } : {}) };
}

export const trimSlash = (p: string): string => p.replace(/\/+$/, '') || '/';

export const mountText = (m: Mount): string => `${m.host}:${m.container}${m.options ? `:${m.options}` : ''}`;

/** Docker's `Binds` for the mounts, in the order they were added. */
export function mountBinds(mounts: readonly Mount[]): string[] {
  return mounts.map(mountText);
}
