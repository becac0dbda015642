import { describe, expect, it } from 'vitest';
import { DemuxedLines, demuxLines, FrameDecoder, formatLogLine, LineSplitter, splitTimestamp } from '../../../src/lib/log-frames.ts';

function frame(type: 1 | 2, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

describe('FrameDecoder', () => {
  it('decodes frames split at any byte', () => {
    const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'más\n')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(frames.map((f) => [f.stream, f.data.toString()])).toEqual([['stdout', 'out\n'], ['stderr', 'err\n'], ['stdout', 'más\n']]);
    }
  });
});

describe('LineSplitter', () => {
  it('keeps partial lines until they end or the stream is flushed', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\r\nd')).toEqual(['bc']);
    expect(s.flush()).toEqual(['d']);
    expect(s.flush()).toEqual([]);
  });

  it('keeps a UTF-8 character that is split across chunks', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('día ✓\n');
    expect([...s.push(bytes.subarray(0, 2)), ...s.push(bytes.subarray(2, 6)), ...s.push(bytes.subarray(6))]).toEqual(['día ✓']);
  });
});

describe('DemuxedLines', () => {
  it('keeps stdout and stderr lines apart even when frames interleave mid-line', () => {
    const d = new DemuxedLines();
    const out = [...d.push(Buffer.concat([frame(1, 'hel'), frame(2, 'oops\n'), frame(1, 'lo\nta')])), ...d.flush()];
    expect(out).toEqual([
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'hello' },
      { stream: 'stdout', line: 'ta' },
    ]);
    expect(demuxLines(frame(1, 'x\ny\n')).map((l) => l.line)).toEqual(['x', 'y']);
  });
});

describe('log line shape', () => {
  it("splits Docker's timestamp and renders Heroku's prefix", () => {
    const l = splitTimestamp('2024-05-01T10:00:00.123456789Z listening on 5000');
    expect(l).toEqual({ time: '2024-05-01T10:00:00.123456789Z', text: 'listening on 5000' });
    expect(splitTimestamp('no time here')).toEqual({ time: '', text: 'no time here' });
    expect(formatLogLine('shop', { ...l, dyno: 'web.1' })).toBe('2024-05-01T10:00:00.123456789Z shop[web.1]: listening on 5000');
  });
});
