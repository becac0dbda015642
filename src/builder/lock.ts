/**
 * A cross-process lock on the host: a directory made atomically with mkdir, holding the owner's
 * pid. Two deploys on a fresh host must not both spend a minute building the same stack.
 * A lock whose owner died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function withHostLock<T>(path: string, fn: () => Promise<T>, opts: { onWait?: () => void; pollMs?: number } = {}): Promise<T> {
  let told = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ownerIsGone(path)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (!told) opts.onWait?.();
      told = true;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

function ownerIsGone(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
  } catch {
    // Just made and the pid not written yet, or its maker died in between: give it a few seconds.
    try {
      return Date.now() - statSync(path).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
