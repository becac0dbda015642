import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, waitForLock, withLock, type LockHolder } from '../../../src/lib/lock.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dokku-lock-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dead: LockHolder = { pid: 999_999_999, host: hostname(), actor: 'ghost', startedAt: '2020-01-01T00:00:00Z' };
const writeHolder = (path: string, holder: LockHolder) => writeFileSync(path, JSON.stringify(holder));
const holderIn = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
const busy = (holder: LockHolder) => new Error(`held by ${holder.actor} (pid ${holder.pid})`);

describe('waiting lock', () => {
  it('runs holders one after the other, telling a waiter once', async () => {
    const path = join(tmp, 'a.lock');
    const order: string[] = [];
    let waits = 0;
    const first = withLock(path, { actor: 'first' }, async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 100));
      order.push('first out');
    });
    const second = withLock(path, { actor: 'second', onWait: () => waits++, pollMs: 10 }, async () => void order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(waits).toBe(1);
  });

  it('takes over a lock whose holder died', async () => {
    const path = join(tmp, 'b.lock');
    writeHolder(path, dead);
    expect(await withLock(path, { actor: 'me', pollMs: 10 }, async () => 'taken')).toBe('taken');
    writeHolder(path, dead);
    const lock = await waitForLock(path, { actor: 'me', pollMs: 10 });
    expect(lock.takenOverFrom).toMatchObject({ pid: dead.pid, actor: 'ghost' });
    lock.release();
  });

  it('releases the lock when the holder throws', async () => {
    const path = join(tmp, 'c.lock');
    await expect(withLock(path, { actor: 'me' }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(path)).toBe(false);
    expect(await withLock(path, { actor: 'me' }, async () => 'again')).toBe('again');
  });

  it('gives up after its timeout with the error it was given', async () => {
    const path = join(tmp, 'd.lock');
    const held = acquireLock(path, { actor: 'slow', busy });
    try {
      const t0 = Date.now();
      await expect(waitForLock(path, { actor: 'me', pollMs: 10, timeoutMs: 50, timedOut: (h) => new Error(`gave up on ${h.actor}`) })).rejects.toThrow('gave up on slow');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    } finally {
      held.release();
    }
  });
});

describe('fail-fast lock', () => {
  it('refuses a second taker at once, naming the holder, and is free again after release', () => {
    const path = join(tmp, 'e', 'x.lock');
    const lock = acquireLock(path, { actor: 'alice', busy });
    expect(lock).toMatchObject({ nested: false, holder: { pid: process.pid, actor: 'alice' } });
    expect(holderIn(path).actor).toBe('alice');
    expect(() => acquireLock(path, { actor: 'bob', busy })).toThrow(`held by alice (pid ${process.pid})`);
    lock.release();
    lock.release();
    expect(existsSync(path)).toBe(false);
    acquireLock(path, { actor: 'bob', busy }).release();
  });

  it('takes over a dead holder and says whom from', () => {
    const path = join(tmp, 'f.lock');
    writeHolder(path, dead);
    const lock = acquireLock(path, { actor: 'me', busy });
    expect(lock.takenOverFrom).toMatchObject({ pid: dead.pid, actor: 'ghost' });
    expect(holderIn(path).actor).toBe('me');
    lock.release();
    expect(acquireLock(path, { actor: 'me', busy }).takenOverFrom).toBeUndefined();
  });
});

describe('re-entrant lock', () => {
  it('hands this process a nested handle; only the outermost release frees the lock', () => {
    const path = join(tmp, 'g.lock');
    const outer = acquireLock(path, { actor: 'alice', reentrant: true, busy });
    const inner = acquireLock(path, { actor: 'alice', reentrant: true, busy });
    expect(inner).toMatchObject({ nested: true, path, holder: outer.holder });
    expect(inner.takenOverFrom).toBeUndefined();
    inner.release();
    inner.release();
    expect(holderIn(path)).toEqual(outer.holder);
    // Still held against anyone not taking it re-entrantly.
    expect(() => acquireLock(path, { actor: 'bob', busy })).toThrow('held by alice');
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  it('after the outermost release, the next taker holds it afresh and a stale nested handle frees nothing', () => {
    const path = join(tmp, 'h.lock');
    const outer = acquireLock(path, { actor: 'alice', reentrant: true, busy });
    const staleInner = acquireLock(path, { actor: 'alice', reentrant: true, busy });
    outer.release();
    const next = acquireLock(path, { actor: 'bob', reentrant: true, busy });
    expect(next.nested).toBe(false);
    staleInner.release();
    expect(holderIn(path).actor).toBe('bob');
    next.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a waiting taker nests too instead of waiting for itself', async () => {
    const path = join(tmp, 'i.lock');
    const outer = await waitForLock(path, { actor: 'alice', reentrant: true, timeoutMs: 100 });
    const inner = await waitForLock(path, { actor: 'alice', reentrant: true, timeoutMs: 100 });
    expect(inner.nested).toBe(true);
    inner.release();
    expect(existsSync(path)).toBe(true);
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a lock taken without re-entrancy is not re-entered', () => {
    const path = join(tmp, 'j.lock');
    const plain = acquireLock(path, { actor: 'alice', busy });
    try {
      expect(() => acquireLock(path, { actor: 'alice', reentrant: true, busy })).toThrow('held by alice');
    } finally {
      plain.release();
    }
  });
});
