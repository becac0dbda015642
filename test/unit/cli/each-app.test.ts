import { describe, expect, it } from 'vitest';
import { forEachApp } from '../../../src/cli/each-app.ts';
import { UserError } from '../../../src/lib/errors.ts';

const recorder = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

describe('forEachApp', () => {
  it("counts an app's user error as its failure, goes on with the rest and exits 1", async () => {
    const r = recorder();
    const code = await forEachApp(r.io, ['a', 'b', 'c'], (n) => n, async (n) => {
      if (n === 'b') throw new UserError('b is locked\nsecond line');
      r.io.out(`did ${n}`);
    });
    expect(code).toBe(1);
    expect(r.out).toEqual(['did a', 'did c']);
    expect(r.err).toEqual([' !     b: b is locked']);
  });

  it('exits 0 when every app succeeded, and stops at a fault that is not a user error', async () => {
    const r = recorder();
    expect(await forEachApp(r.io, [{ name: 'x' }], (a) => a.name, async () => {})).toBe(0);
    const seen: string[] = [];
    await expect(
      forEachApp(r.io, ['a', 'b'], (n) => n, async (n) => {
        seen.push(n);
        throw new Error('docker went away');
      }),
    ).rejects.toThrow('docker went away');
    expect(seen).toEqual(['a']);
    expect(r.err).toEqual([]);
  });

  it('with parallel N runs at most N apps at once and every app once, failures still counted', async () => {
    const r = recorder();
    let running = 0;
    let most = 0;
    const done: string[] = [];
    const code = await forEachApp(r.io, ['a', 'b', 'c', 'd', 'e'], (n) => n, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      if (n === 'c') throw new UserError('c failed');
      done.push(n);
    }, 2);
    expect(most).toBe(2);
    expect(done.sort()).toEqual(['a', 'b', 'd', 'e']);
    expect([code, r.err]).toEqual([1, [' !     c: c failed']]);
  });
});
