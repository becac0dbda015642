import { describe, expect, it } from 'vitest';
import { retryOn, retryOnAsync } from '../../../src/lib/retry.ts';

class Conflict extends Error {}
const isConflict = (err: unknown) => err instanceof Conflict;

describe('retryOn', () => {
  it('returns the first success, calling again only on a retryable failure', () => {
    const seen: number[] = [];
    const result = retryOn(isConflict, 5, (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw new Conflict(`try ${attempt}`);
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws the last failure once the attempts are spent', () => {
    let calls = 0;
    expect(() => retryOn(isConflict, 4, (attempt) => {
      calls++;
      throw new Conflict(`try ${attempt}`);
    })).toThrow('try 4');
    expect(calls).toBe(4);
  });

  it('does not retry any other failure', () => {
    let calls = 0;
    expect(() => retryOn(isConflict, 5, () => {
      calls++;
      throw new Error('broken');
    })).toThrow('broken');
    expect(calls).toBe(1);
  });
});

describe('retryOnAsync', () => {
  it('retries a retryable rejection and returns the eventual value', async () => {
    const seen: number[] = [];
    const result = await retryOnAsync(isConflict, 5, async (attempt) => {
      seen.push(attempt);
      if (attempt === 1) throw new Conflict('first');
      return attempt;
    });
    expect(result).toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it('rejects with the last failure once the attempts are spent, and at once on any other', async () => {
    let calls = 0;
    await expect(retryOnAsync(isConflict, 3, async (attempt) => {
      calls++;
      throw new Conflict(`try ${attempt}`);
    })).rejects.toThrow('try 3');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnAsync(isConflict, 3, async () => {
      calls++;
      throw new TypeError('bug');
    })).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });
});
