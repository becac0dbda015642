import { describe, expect, it } from 'vitest';
import { errorLine, renderReport } from '../../../src/lib/output.ts';
import { visibleStreams } from '../../../src/cli/events.ts';
import { escapeControls, printable } from '../../../src/lib/validate.ts';

/** Anything a terminal would act on: C0, DEL, C1. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('escapeControls: one printable form for every control character', () => {
  it.each([
    ['\x1b[2J', '\\x1b[2J'],
    ['a\rb', 'a\\x0db'],
    ['bell\x07', 'bell\\x07'],
    ['\x00\x01\x1f', '\\x00\\x01\\x1f'],
    ['del\x7f', 'del\\x7f'],
    ['\u009b31m', '\\x9b31m'],
    ['\u0080\u009f', '\\x80\\x9f'],
    ['line\nbreak\ttab', 'line\\x0abreak\\x09tab'],
  ])('%j → %s', (raw, shown) => {
    expect(escapeControls(raw)).toBe(shown);
    expect(escapeControls(raw)).not.toMatch(CONTROL);
  });

  it('leaves printable text alone, Unicode and backslashes included', () => {
    for (const text of ['web', 'café ☕', 'C:\\path', '"quoted"', '\u00a0nbsp', '']) expect(escapeControls(text)).toBe(text);
  });

  it('escapes every one of the 65 control characters and nothing else of the first 256', () => {
    for (let c = 0; c < 256; c++) {
      const ch = String.fromCharCode(c);
      const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
      expect(escapeControls(ch), `U+${c.toString(16)}`).toBe(control ? `\\x${c.toString(16).padStart(2, '0')}` : ch);
    }
  });

  it('printable is the same escaping, cut to 80 characters', () => {
    expect(printable('\x1b[2J')).toBe('\\x1b[2J');
    expect(printable('\x1b'.repeat(100))).toHaveLength(80);
  });
});

describe('output lines escape what users typed', () => {
  it('an error line holds no control characters: an echoed word cannot clear the screen or start a line', () => {
    const line = errorLine('no access to app \x1b[2J\r\n !     Deployed\x07');
    expect(line).toBe(' !     no access to app \\x1b[2J\\x0d\\x0a !     Deployed\\x07');
    expect(line.split('\n')).toHaveLength(1);
  });

  it("an error's indented detail lines (nginx's output) stay lines of their own, escaped", () => {
    const line = errorLine('nginx refused the new configuration:\n       line one\x1b[K\n       line two');
    expect(line.split('\n')).toEqual([' !     nginx refused the new configuration:', '       line one\\x1b[K', '       line two']);
  });

  it('a report escapes its title and values', () => {
    const lines = renderReport('web\x1b[2J report', [
      ['Reason', 'bad\x1b]0;title\x07'],
      ['Empty', null],
    ]);
    expect(lines).toEqual(['=====> web\\x1b[2J report', '       Reason: bad\\x1b]0;title\\x07', '       Empty:']);
    for (const l of lines) expect(l).not.toMatch(CONTROL);
  });
});

describe("visibleStreams: a key reads its apps' streams, by id", () => {
  const held = new Set(['id-new-x', 'id-y']);
  it('with no app named: every app it holds, and nothing else', () => {
    expect(visibleStreams(held)).toEqual(['app/id-new-x', 'app/id-y']);
  });
  it("with a name: only the streams of that name it holds now, not a renamed-away app's", () => {
    expect(visibleStreams(held, ['app/id-old-x', 'app/id-new-x'])).toEqual(['app/id-new-x']);
    expect(visibleStreams(held, ['app/id-old-x'])).toEqual([]);
  });
  it('holding nothing: nothing', () => {
    expect(visibleStreams(new Set())).toEqual([]);
  });
});
