import { StringDecoder } from 'node:string_decoder';

/**
 * Docker's multiplexed stream (a container without a TTY): frames of an 8-byte header — stream
 * type (1 stdout, 2 stderr), three zero bytes, a big-endian length — then the payload. Decoding is
 * pure and incremental, so the same code serves a finished log and a followed one.
 */

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  data: Buffer;
}

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      const type = this.pending[0];
      frames.push({ stream: type === 2 ? 'stderr' : 'stdout', data: this.pending.subarray(8, 8 + length) });
      this.pending = this.pending.subarray(8 + length);
    }
    return frames;
  }
}

/**
 * Whole lines out of arbitrary chunks; the unfinished rest (a partial line, or half of a UTF-8
 * character) waits for more or for `flush`.
 */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');

  push(data: Buffer | string): string[] {
    const lines = (this.rest + (typeof data === 'string' ? data : this.decoder.write(data))).split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map((l) => l.replace(/\r$/, ''));
  }

  flush(): string[] {
    const last = (this.rest + this.decoder.end()).replace(/\r$/, '');
    this.rest = '';
    return last ? [last] : [];
  }
}

/** Splits each stream of a multiplexed byte stream into lines. */
export class DemuxedLines {
  private frames = new FrameDecoder();
  private splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };

  push(chunk: Buffer): Array<{ stream: StreamName; line: string }> {
    return this.frames.push(chunk).flatMap((f) => this.splitters[f.stream].push(f.data).map((line) => ({ stream: f.stream, line })));
  }

  flush(): Array<{ stream: StreamName; line: string }> {
    return (['stdout', 'stderr'] as const).flatMap((stream) => this.splitters[stream].flush().map((line) => ({ stream, line })));
  }
}

/** All lines of a finished multiplexed buffer. */
export function demuxLines(buffer: Buffer): Array<{ stream: StreamName; line: string }> {
  const d = new DemuxedLines();
  return [...d.push(buffer), ...d.flush()];
}

/** `docker logs --timestamps` puts an RFC 3339 time and a space before each line. */
export function splitTimestamp(line: string): { time: string; text: string } {
  const space = line.indexOf(' ');
  if (space > 0 && /^\d{4}-\d\d-\d\dT/.test(line)) return { time: line.slice(0, space), text: line.slice(space + 1) };
  return { time: '', text: line };
}

/** Heroku's shape: `2024-05-01T10:00:00.123456789Z app[web.1]: listening`. */
export function formatLogLine(app: string, line: { time: string; dyno: string; text: string }): string {
  return `${line.time ? `${line.time} ` : ''}${app}[${line.dyno}]: ${line.text}`;
}
