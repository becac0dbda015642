import { printable } from './validate.ts';

/**
 * A file inside the app's repository (`appjson-path`, `procfile-path`, `nginx-conf-sigil-path`): relative, no `..`, no empty or
 * `.` parts, the common file-name alphabet. A key that may only name its own source must not be able
 * to point the build at a file elsewhere on the server.
 */
export function repoPathProblem(path: string): string | undefined {
  const why = (reason: string) => `Invalid path '${printable(path.slice(0, 200))}': ${reason}`;
  if (path.length > 255) return why('longer than 255 characters');
  if (path.startsWith('/')) return why('give a path inside the repository, not an absolute path');
  if (!/^[A-Za-z0-9._\/-]+$/.test(path)) return why('use letters, digits, dots, dashes, underscores and slashes');
  const parts = path.split('/');
  if (parts.includes('..')) return why("'..' may not appear in it");
  if (parts.some((p) => p === '' || p === '.')) return why('no empty or . parts');
  return undefined;
}
