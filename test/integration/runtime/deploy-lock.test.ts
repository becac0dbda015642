import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDeployLock, DeployLockedError, lockPath, processStartTicks, withDeployLock, type LockHolder } from '../../../src/lib/lock.ts';

const root = mkdtempSync(join(tmpdir(), 'dokku-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A process that lives until its stdin closes. */
function sleeper() {
  const child = spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'], { stdio: ['pipe', 'ignore', 'ignore'] });
  return { pid: child.pid!, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.stdin.end(); }) };
}

function writeHolder(app: string, holder: LockHolder): void {
  mkdirSync(join(root, app), { recursive: true });
  writeFileSync(lockPath(root, app), JSON.stringify(holder));
}

describe('deploy lock', () => {
  it('writes pid, host, actor and start time, and is gone after release', () => {
    const lock = acquireDeployLock(root, 'one', 'alice');
    const held = JSON.parse(readFileSync(lockPath(root, 'one'), 'utf8')) as LockHolder;
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), actor: 'alice' });
    expect(new Date(held.startedAt).getTime()).toBeGreaterThan(Date.now() - 5000);
    expect(held.pidStart).toBe(processStartTicks(process.pid));
    lock.release();
    lock.release();
    expect(existsSync(lockPath(root, 'one'))).toBe(false);
  });

  it('refuses a second holder at once, naming the first', () => {
    const lock = acquireDeployLock(root, 'two', 'alice');
    try {
      const t0 = Date.now();
      let err: unknown;
      try {
        acquireDeployLock(root, 'two', 'bob');
      } catch (e) {
        err = e;
      }
      expect(Date.now() - t0).toBeLessThan(100);
      expect(err).toBeInstanceOf(DeployLockedError);
      expect((err as Error).message).toMatch(new RegExp(`^two is already being deployed by alice \\(pid ${process.pid} on ${hostname()}, since \\d{4}-`));
      expect((err as DeployLockedError).exitCode).toBe(1);
    } finally {
      lock.release();
    }
    acquireDeployLock(root, 'two', 'bob').release();
  });

  it('refuses while a holder in another live process has it', async () => {
    const other = sleeper();
    try {
      writeHolder('three', { pid: other.pid, host: hostname(), actor: 'carol', startedAt: new Date().toISOString(), pidStart: processStartTicks(other.pid) });
      expect(() => acquireDeployLock(root, 'three', 'dave')).toThrow(/by carol \(pid \d+/);
    } finally {
      await other.stop();
    }
    // Its holder is dead now: taken over silently.
    const lock = acquireDeployLock(root, 'three', 'dave');
    expect((JSON.parse(readFileSync(lock.path, 'utf8')) as LockHolder).actor).toBe('dave');
    lock.release();
  });

  it('takes over a lock whose pid was reused by an unrelated process', () => {
    writeHolder('four', { pid: process.pid, host: hostname(), actor: 'erin', startedAt: '2020-01-01T00:00:00Z', pidStart: 1 });
    acquireDeployLock(root, 'four', 'frank').release();
  });

  it('leaves a lock from another host alone, and a garbage file only while it is fresh', () => {
    writeHolder('five', { pid: 1, host: 'elsewhere.example', actor: 'gina', startedAt: '2020-01-01T00:00:00Z' });
    expect(() => acquireDeployLock(root, 'five', 'hal')).toThrow(/gina \(pid 1 on elsewhere\.example/);
    writeFileSync(lockPath(root, 'five'), '');
    expect(() => acquireDeployLock(root, 'five', 'hal')).toThrow(DeployLockedError);
  });

  it('only one of many simultaneous takers of a dead lock wins', async () => {
    writeHolder('six', { pid: 2 ** 22 + 7, host: hostname(), actor: 'ghost', startedAt: '2020-01-01T00:00:00Z' });
    const script = `
      import { acquireDeployLock } from ${JSON.stringify(join(process.cwd(), 'src/lib/lock.ts'))};
      try { acquireDeployLock(process.env.LOCK_ROOT, 'six', 'p' + process.pid); process.stdout.write('won'); setTimeout(() => {}, 1500); }
      catch (e) { process.stdout.write(e.name); }
    `;
    const runs = Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      // Separate processes race for real; Bun runs the TypeScript module directly.
      const child = spawn(join(process.cwd(), 'node_modules/.bin/bun'), ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOCK_ROOT: root } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', () => resolve(out));
    }));
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'DeployLockedError')).toHaveLength(5);
  });

  it('withDeployLock releases even when the work fails', async () => {
    await expect(withDeployLock(root, 'seven', 'ivy', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(existsSync(lockPath(root, 'seven'))).toBe(false);
    expect(await withDeployLock(root, 'seven', 'ivy', async () => 42)).toBe(42);
  });
});
