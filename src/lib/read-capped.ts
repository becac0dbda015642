/**
 * Reading a file a user names (an admin's certificate, say) with a byte limit: never more
 * than `limit + 1` bytes are held, so `/dev/zero` or a huge file is refused at the cap in bounded
 * memory instead of being read whole first.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from './errors.ts';

const CHUNK = 64 * 1024;

/** `1 MiB`, `2 GiB`, `1.5 KiB`: a size as a limit is said to a user. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size) return `${Math.round((n / size) * 10) / 10} ${unit}`;
  }
  return `${n} bytes`;
}

function tooLarge(what: string, limit: number): UserError {
  return new UserError(`${what[0]!.toUpperCase()}${what.slice(1)} is larger than ${formatBytes(limit)}`);
}

/** The file's bytes, or a UserError naming `what` if it cannot be read or holds more than `limit`. */
export function readFileCapped(path: string, limit: number, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Run by root, dokku reads as the owner of DOKKU_ROOT (entry/run-as-owner.ts): say whose read failed.
    if (code === 'EACCES') throw new UserError(`Cannot read ${what}: permission denied to ${process.env.USER || `uid ${process.getuid?.()}`}; give it on stdin instead`);
    throw new UserError(`Cannot read ${what}: ${code ?? (err as Error).message}`);
  }
  try {
    const buf = Buffer.allocUnsafe(limit + 1);
    let size = 0;
    while (size <= limit) {
      let n: number;
      try {
        n = readSync(fd, buf, size, Math.min(CHUNK, limit + 1 - size), null);
      } catch (err) {
        throw new UserError(`Cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (n === 0) return buf.subarray(0, size);
      size += n;
    }
    throw tooLarge(what, limit);
  } finally {
    closeSync(fd);
  }
}
