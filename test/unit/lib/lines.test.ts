import { describe, expect, it } from 'vitest';
import { asBuildOutput, detail, LineFramer, lineWritable, step, type FramerOptions } from '../../../src/lib/lines.ts';

const split = (chunks: Array<string | Buffer>, opts: FramerOptions = { crEndsLine: true }): string[] => {
  const s = new LineFramer(opts);
  return [...chunks.flatMap((c) => s.push(c)), ...s.flush()];
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

describe('LineFramer', () => {
  it('keeps partial lines until they end or the stream is flushed', () => {
    const s = new LineFramer();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\r\nd')).toEqual(['bc']);
    expect(s.flush()).toEqual(['d']);
    expect(s.flush()).toEqual([]);
  });

  it('keeps a UTF-8 character that is split across chunks', () => {
    const s = new LineFramer();
    const bytes = Buffer.from('día ✓\n');
    expect([...s.push(bytes.subarray(0, 2)), ...s.push(bytes.subarray(2, 6)), ...s.push(bytes.subarray(6))]).toEqual(['día ✓']);
  });

  it('leaves a bare CR inside a log line, and drops the CR of a CRLF split across chunks', () => {
    expect(split(['10%\r20%\n', 'a\r', '\nb\r', 'c\r\r\n', 'd\r'], {})).toEqual(['10%\r20%', 'a', 'b\rc\r', 'd']);
    expect(split(['a\r', '\r', '\n'], {})).toEqual(['a\r']);
    expect(split(['a\r', '\r', '\n'])).toEqual(['a', '']);
  });

  it('hands on empty lines in the middle but not an empty rest', () => {
    expect(split(['\n\na\n', '\r'], {})).toEqual(['', '', 'a']);
    expect(split(['\n\r\n'])).toEqual(['', '']);
  });
});

describe('lineWritable', () => {
  it('hands on whole lines as they are written and the partial rest when it ends', async () => {
    const lines: string[] = [];
    const w = lineWritable((l) => lines.push(`> ${l}`));
    w.write('one\r');
    w.write('\ntw');
    expect(lines).toEqual(['> one']);
    w.write(Buffer.from('o ✓\nthr'));
    await new Promise<void>((resolve) => w.end('ee', resolve));
    expect(lines).toEqual(['> one', '> two ✓', '> three']);
  });
});
