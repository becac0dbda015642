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
});
