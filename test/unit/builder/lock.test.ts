import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withHostLock } from '../../../src/builder/lock.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dokku-lock-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('host lock', () => {
  it('runs holders one after the other, telling a waiter once', async () => {
    const path = join(tmp, 'a.lock');
    const order: string[] = [];
    let waits = 0;
    const first = withHostLock(path, async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 100));
      order.push('first out');
    });
    const second = withHostLock(path, async () => void order.push('second'), { onWait: () => waits++, pollMs: 10 });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(waits).toBe(1);
  });

  it('takes over a lock whose holder died', async () => {
    const path = join(tmp, 'b.lock');
    mkdirSync(path);
    writeFileSync(join(path, 'pid'), '999999999');
    expect(await withHostLock(path, async () => 'taken', { pollMs: 10 })).toBe('taken');
  });

  it('releases the lock when the holder throws', async () => {
    const path = join(tmp, 'c.lock');
    await expect(withHostLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withHostLock(path, async () => 'again')).toBe('again');
  });
});
