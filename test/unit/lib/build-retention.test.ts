import { describe, expect, it } from 'vitest';
import { buildsBeyondRetention } from '../../../src/lib/build-retention.ts';

const b = (number: number, status = 'succeeded') => ({ number, status });

describe('buildsBeyondRetention', () => {
  it('keeps the newest finished builds and names the older ones, oldest first', () => {
    expect(buildsBeyondRetention([b(5), b(4, 'failed'), b(3), b(2), b(1)], 2)).toEqual([1, 2, 3]);
  });
  it('never names a running build, and does not count it against the retention', () => {
    expect(buildsBeyondRetention([b(4, 'running'), b(3), b(2), b(1, 'running')], 1)).toEqual([2]);
  });
  it('names nothing when the builds fit', () => {
    expect(buildsBeyondRetention([b(2), b(1)], 20)).toEqual([]);
    expect(buildsBeyondRetention([], 1)).toEqual([]);
  });
  it('reads the order from the numbers, not the order given', () => {
    expect(buildsBeyondRetention([b(1), b(3), b(2)], 1)).toEqual([1, 2]);
  });
});
