import { describe, expect, it } from 'vitest';
import { DemuxedLines, demuxBufferLines, FrameDecoder, formatLogLine, splitTimestamp, type Frame } from '../../../src/lib/log-frames.ts';
import { frame } from '../../helpers/docker-frames.ts';

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

describe('DemuxedLines', () => {
  it('keeps stdout and stderr lines apart even when frames interleave mid-line', () => {
    const d = new DemuxedLines();
    const out = [...d.push(Buffer.concat([frame(1, 'hel'), frame(2, 'oops\n'), frame(1, 'lo\nta')])), ...d.flush()];
    expect(out).toEqual([
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'hello' },
      { stream: 'stdout', line: 'ta' },
    ]);
    expect(demuxBufferLines(frame(1, 'x\ny\n')).map((l) => l.line)).toEqual(['x', 'y']);
  });

  it('frames build output with bare CRs as lines, and hands each frame on', () => {
    const d = new DemuxedLines({ crEndsLine: true });
    const seen: Frame[] = [];
    const chunk = Buffer.concat([frame(1, '10%\r20%\r'), frame(2, 'warn\r'), frame(2, '\n'), frame(1, 'done')]);
    const out = [...d.push(chunk, (f) => seen.push(f)), ...d.flush()];
    expect(out).toEqual([
      { stream: 'stdout', line: '10%' },
      { stream: 'stderr', line: 'warn' },
      { stream: 'stdout', line: '20%' },
      { stream: 'stdout', line: 'done' },
    ]);
    expect(seen.map((f) => [f.stream, f.data.toString()])).toEqual([['stdout', '10%\r20%\r'], ['stderr', 'warn\r'], ['stderr', '\n'], ['stdout', 'done']]);
    expect(demuxBufferLines(frame(1, '10%\r20%\n')).map((l) => l.line)).toEqual(['10%\r20%']);
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
