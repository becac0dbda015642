import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from './errors.ts';

/**
 * One deploy per app at a time: a file `$DOKKU_ROOT/<app>/deploy.lock` created with O_EXCL that
 * names its holder. A holder on this host whose process is gone (or whose pid now belongs to another
 * process) no longer counts, and the next deploy takes the lock over without asking.
 */

/** An unreadable lock file younger than this is still being written by its holder. */
const UNREADABLE_GRACE_MS = 2_000;

/** A takeover guard older than this belongs to a process that died mid-takeover. */
const GUARD_STALE_MS = 10_000;

export interface LockHolder {
  pid: number;
  host: string;
  actor: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  pidStart?: number;
}

export class DeployLockedError extends UserError {
  readonly holder: LockHolder;
  constructor(app: string, holder: LockHolder, path: string) {
    super(
      `${app} is already being deployed by ${holder.actor} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); ` +
        `wait for it to finish, or remove ${path} if that deploy is gone`,
    );
    this.name = 'DeployLockedError';
    this.holder = holder;
  }
}

export interface DeployLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The dead holder this lock was taken over from: its deploy was interrupted and left things behind. */
  readonly takenOverFrom?: LockHolder;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

export function lockPath(root: string, app: string): string {
  return join(root, app, 'deploy.lock');
}

/** Field 22 of /proc/<pid>/stat; undefined off Linux. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder counts while its process lives; only a holder on this host can be judged. */
export function holderIsAlive(holder: LockHolder, host = hostname()): boolean {
  if (holder.host !== host) return true;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0 || !processAlive(holder.pid)) return false;
  if (holder.pidStart === undefined) return true;
  const start = processStartTicks(holder.pid);
  return start === undefined || start === holder.pidStart;
}

interface LockFile {
  raw: string;
  holder: LockHolder;
  /** Empty or unparsable: a holder writes right after its O_EXCL create, so a young file is still being written. */
  unreadable: boolean;
  young: boolean;
}

function readLock(path: string): LockFile | undefined {
  let raw: string;
  let young: boolean;
  try {
    raw = readFileSync(path, 'utf8');
    young = Date.now() - statSync(path).mtimeMs < UNREADABLE_GRACE_MS;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return { raw, holder: JSON.parse(raw) as LockHolder, unreadable: false, young };
  } catch {
    return { raw, holder: { pid: 0, host: '?', actor: 'an unknown deploy', startedAt: 'an unknown time' }, unreadable: true, young };
  }
}

function lockIsHeld(lock: LockFile): boolean {
  return lock.unreadable ? lock.young : holderIsAlive(lock.holder);
}

/** O_EXCL create; false when the file exists. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Replacing a dead holder's file is two steps (unlink, create); a short-lived guard file, itself
 * created with O_EXCL, keeps two processes from taking over the same dead lock at once.
 */
function takeOver(path: string, dead: LockFile, content: string): boolean {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    try {
      if (Date.now() - statSync(guard).mtimeMs < GUARD_STALE_MS) return false;
      unlinkIfPresent(guard);
    } catch {
      // vanished meanwhile
    }
    if (!createExclusive(guard, String(process.pid))) return false;
  }
  try {
    const now = readLock(path);
    if (now && now.raw !== dead.raw) return false;
    unlinkIfPresent(path);
    return createExclusive(path, content);
  } finally {
    unlinkIfPresent(guard);
  }
}

/** Takes the app's deploy lock or throws DeployLockedError naming the live holder. */
export function acquireDeployLock(root: string, app: string, actor: string): DeployLock {
  const path = lockPath(root, app);
  mkdirSync(join(root, app), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    actor,
    startedAt: new Date().toISOString(),
    pidStart: processStartTicks(process.pid),
  };
  const content = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(path, content)) return heldLock(path, holder, content);
    const current = readLock(path);
    if (current === undefined) continue; // released between our create and our read
    if (lockIsHeld(current)) throw new DeployLockedError(app, current.holder, path);
    if (takeOver(path, current, content)) return heldLock(path, holder, content, current.unreadable ? undefined : current.holder);
  }
  // Lost every race: someone else holds it now.
  throw new DeployLockedError(app, readLock(path)?.holder ?? holder, path);
}

function heldLock(path: string, holder: LockHolder, content: string, takenOverFrom?: LockHolder): DeployLock {
  let released = false;
  return {
    path,
    holder,
    ...(takenOverFrom ? { takenOverFrom } : {}),
    release() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8') === content) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** Runs `fn` holding the app's deploy lock. */
export async function withDeployLock<T>(root: string, app: string, actor: string, fn: () => Promise<T>): Promise<T> {
  const lock = acquireDeployLock(root, app, actor);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
