import { describe, expect, it } from 'vitest';
import { asBuildOutput, detail, LineSplitter, step } from '../../../src/lib/lines.ts';

const split = (chunks: Array<string | Buffer>): string[] => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.flush();
  return lines;
};

describe('build output lines', () => {
  it('splits on LF, CRLF and CR, across chunk boundaries', () => {
    expect(split(['a\nb', 'c\r', '\nd\re\n'])).toEqual(['a', 'bc', 'd', 'e']);
    expect(split(['no newline at end'])).toEqual(['no newline at end']);
    expect(split(['x\r'])).toEqual(['x']);
  });

  it('keeps multi-byte characters split between chunks', () => {
    const bytes = Buffer.from('héllo → wörld\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(['héllo → wörld']);
  });

  it("keeps a buildpack's own prefixes and indents everything else", () => {
    expect(asBuildOutput('-----> Installing')).toBe('-----> Installing');
    expect(asBuildOutput('       detail')).toBe('       detail');
    expect(asBuildOutput(' !     failed')).toBe(' !     failed');
    expect(asBuildOutput('added 1 package')).toBe('       added 1 package');
    expect(asBuildOutput('')).toBe('');
    expect(step('x')).toBe('-----> x');
    expect(detail('x')).toBe('       x');
  });
});
