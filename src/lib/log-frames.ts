import { LineFramer, type FramerOptions } from './lines.ts';

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

export interface DemuxedLine {
  stream: StreamName;
  line: string;
}

/**
 * Splits each stream of a multiplexed byte stream into lines (see LineFramer for how). `onFrame`
 * sees every frame's bytes as well, for a caller that keeps stdout as data.
 */
export class DemuxedLines {
  private frames = new FrameDecoder();
  private framers: Record<StreamName, LineFramer>;

  constructor(opts: FramerOptions = {}) {
    this.framers = { stdout: new LineFramer(opts), stderr: new LineFramer(opts) };
  }

  push(chunk: Buffer, onFrame?: (frame: Frame) => void): DemuxedLine[] {
    return this.frames.push(chunk).flatMap((f) => {
      onFrame?.(f);
      return this.framers[f.stream].push(f.data).map((line) => ({ stream: f.stream, line }));
    });
  }

  flush(): DemuxedLine[] {
    return (['stdout', 'stderr'] as const).flatMap((stream) => this.framers[stream].flush().map((line) => ({ stream, line })));
  }
}

/** All lines of a finished multiplexed buffer (`docker logs` without follow). */
export function demuxBufferLines(buffer: Buffer): DemuxedLine[] {
  const d = new DemuxedLines();
  return [...d.push(buffer), ...d.flush()];
}

export interface StreamLineHandlers {
  onStdout: (line: string) => void;
  onStderr: (line: string) => void;
  /** stdout's bytes as they come, for a caller that keeps them as data. */
  onStdoutData?: (chunk: Buffer) => void;
}

/** Follows a live multiplexed stream to its end (or close), handing each side's lines on as they complete. */
export function demuxStreamLines(stream: NodeJS.ReadableStream, handlers: StreamLineHandlers, opts: FramerOptions = {}): Promise<void> {
  const demux = new DemuxedLines(opts);
  const emit = (lines: DemuxedLine[]) => {
    for (const { stream: which, line } of lines) (which === 'stderr' ? handlers.onStderr : handlers.onStdout)(line);
  };
  const { onStdoutData } = handlers;
  const keepStdout = onStdoutData
    ? (f: Frame) => {
        if (f.stream === 'stdout') onStdoutData(f.data);
      }
    : undefined;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      emit(demux.flush());
      resolve();
    };
    stream.on('data', (c: Buffer) => emit(demux.push(c, keepStdout)));
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', reject);
  });
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
