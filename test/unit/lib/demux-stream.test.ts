import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxStreamLines } from '../../../src/lib/log-frames.ts';
import { frame } from '../../helpers/docker-frames.ts';

describe('demuxStreamLines', () => {
  it("follows a live stream: each side's lines as build output, stdout's bytes kept whole", async () => {
    const stream = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    const data: Buffer[] = [];
    const done = demuxStreamLines(stream, { onStdout: (l) => out.push(l), onStderr: (l) => err.push(l), onStdoutData: (c) => data.push(c) }, { crEndsLine: true });
    const bytes = Buffer.concat([frame(1, 'a: 1\r'), frame(2, '50%\r100%\r'), frame(1, '\nb: 2'), frame(2, '\n')]);
    // Every byte in a chunk of its own: frames, CRLFs and lines all split.
    for (const b of bytes) stream.write(Buffer.from([b]));
    stream.end();
    await done;
    expect(out).toEqual(['a: 1', 'b: 2']);
    expect(err).toEqual(['50%', '100%']);
    expect(Buffer.concat(data).toString()).toBe('a: 1\r\nb: 2');
  });

  it('keeps bare CRs inside log lines unless told otherwise, and needs no data handler', async () => {
    const stream = new PassThrough();
    const out: string[] = [];
    const done = demuxStreamLines(stream, { onStdout: (l) => out.push(l), onStderr: () => {} });
    stream.end(frame(1, '10%\r20%\r\nrest'));
    await done;
    expect(out).toEqual(['10%\r20%', 'rest']);
  });
});
