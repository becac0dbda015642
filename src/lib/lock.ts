import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/**
 * A named cross-process lock: a file created with O_EXCL that names its holder (pid, the process's
 * start time, host, actor). A holder on this host whose process is gone (or whose pid now belongs
 * to another process) no longer counts: the next taker takes the lock over and is told whom from.
 * A taker either fails at once, naming the holder (an app's deploy lock), or waits its turn (the
 * nginx files, a stack build). A lock taken re-entrantly may be taken again by the process that
 * holds it, which gets a nested handle: one use case can call another that locks the same app.
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

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The dead holder this lock was taken over from: its work was interrupted and left things behind. */
  readonly takenOverFrom?: LockHolder;
  /** Taken again while this process already held it; the outermost handle's release is the one that counts. */
  readonly nested: boolean;
  /** Removes the lock if it is still ours (a nested handle leaves it). Safe to call twice. */
  release(): void;
}

/** An app's deploy lock: the lock every use case that changes what the app runs takes. */
export type DeployLock = HeldLock;

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

/** Where an app's deploy lock lives: `$DOKKU_ROOT/<app>/deploy.lock`. */
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
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) answers signal 0 but holds nothing.
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
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

const UNKNOWN_HOLDER: LockHolder = { pid: 0, host: '?', actor: 'an unknown deploy', startedAt: 'an unknown time' };

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
  let holder: unknown;
  try {
    holder = JSON.parse(raw);
  } catch {
    holder = undefined;
  }
  if (typeof holder !== 'object' || holder === null || typeof (holder as LockHolder).pid !== 'number') return { raw, holder: UNKNOWN_HOLDER, unreadable: true, young };
  return { raw, holder: holder as LockHolder, unreadable: false, young };
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

export interface LockOptions {
  /** Who takes it, for whoever finds it held. */
  actor: string;
  /** This process may take it again while holding it, getting a nested handle. */
  reentrant?: boolean;
}

/** Outermost handles of the re-entrant locks this process holds, by absolute path. */
const heldHere = new Map<string, HeldLock>();

/** One try: our handle, or the live holder in the way. */
function tryLock(path: string, actor: string): HeldLock | { busy: LockHolder } {
  const holder: LockHolder = { pid: process.pid, host: hostname(), actor, startedAt: new Date().toISOString(), pidStart: processStartTicks(process.pid) };
  const content = `${JSON.stringify(holder)}\n`;
  for (let race = 0; race < 3; race++) {
    if (createExclusive(path, content)) return heldLock(path, holder, content);
    const current = readLock(path);
    if (current === undefined) continue; // released between our create and our read
    if (lockIsHeld(current)) return { busy: current.holder };
    if (takeOver(path, current, content)) return heldLock(path, holder, content, current.unreadable ? undefined : current.holder);
  }
  // Lost every race: someone else holds it now.
  return { busy: readLock(path)?.holder ?? holder };
}

function heldLock(path: string, holder: LockHolder, content: string, takenOverFrom?: LockHolder): HeldLock {
  let released = false;
  const lock: HeldLock = {
    path,
    holder,
    nested: false,
    ...(takenOverFrom ? { takenOverFrom } : {}),
    release() {
      if (released) return;
      released = true;
      if (heldHere.get(resolve(path)) === lock) heldHere.delete(resolve(path));
      try {
        if (readFileSync(path, 'utf8') === content) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
  return lock;
}

/** A second handle on a lock this process holds re-entrantly; releasing it leaves the lock held. */
function nestedIn(path: string): HeldLock | undefined {
  const outer = heldHere.get(resolve(path));
  return outer && { path: outer.path, holder: outer.holder, nested: true, release() {} };
}

function taken(path: string, got: HeldLock, opts: LockOptions): HeldLock {
  if (opts.reentrant) heldHere.set(resolve(path), got);
  return got;
}

/** Takes the lock at `path` or throws what `busy` makes of its live holder. */
export function acquireLock(path: string, opts: LockOptions & { busy: (holder: LockHolder) => Error }): HeldLock {
  const nested = opts.reentrant ? nestedIn(path) : undefined;
  if (nested) return nested;
  mkdirSync(dirname(path), { recursive: true });
  const got = tryLock(path, opts.actor);
  if ('busy' in got) throw opts.busy(got.busy);
  return taken(path, got, opts);
}

export interface WaitOptions extends LockOptions {
  /** Called once, when the lock is first found held. */
  onWait?: (holder: LockHolder) => void;
  pollMs?: number;
  /** Gives up after this long, throwing what `timedOut` makes of the holder. Unset: waits as long as the holder lives. */
  timeoutMs?: number;
  timedOut?: (holder: LockHolder) => Error;
}

/** Takes the lock at `path`, waiting while a live holder has it. */
export async function waitForLock(path: string, opts: WaitOptions): Promise<HeldLock> {
  const nested = opts.reentrant ? nestedIn(path) : undefined;
  if (nested) return nested;
  mkdirSync(dirname(path), { recursive: true });
  const started = Date.now();
  let told = false;
  for (;;) {
    const got = tryLock(path, opts.actor);
    if (!('busy' in got)) return taken(path, got, opts);
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
      throw opts.timedOut?.(got.busy) ?? new UserError(`${got.busy.actor} (pid ${got.busy.pid}) has held ${path} for over ${opts.timeoutMs / 1000} s`);
    }
    if (!told) opts.onWait?.(got.busy);
    told = true;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** Runs `fn` holding the lock at `path`, waiting for it first if need be. */
export async function withLock<T>(path: string, opts: WaitOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await waitForLock(path, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Takes the app's deploy lock or throws DeployLockedError naming the live holder. */
export function acquireDeployLock(root: string, app: string, actor: string, opts: { reentrant?: boolean } = {}): DeployLock {
  const path = lockPath(root, app);
  return acquireLock(path, { actor, ...opts, busy: (holder) => new DeployLockedError(app, holder, path) });
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
