/**
 * Output arrives in arbitrary chunks; users see it line by line. Dokku's prefixes: `-----> `
 * marks a step, seven spaces indent detail.
 */
import { Writable } from 'node:stream';
import { detail } from './output.ts';

export { detail, step } from './output.ts';

export type OnLine = (line: string) => void;

export interface FramerOptions {
  /**
   * A bare CR ends a line too: build tools redraw a progress line with it, and each redraw is
   * worth a line of its own. Otherwise (logs) a bare CR stays inside the line it was written in.
   */
  crEndsLine?: boolean;
}

/**
 * Whole lines out of arbitrary chunks (LF or CRLF, even when the CRLF is split between chunks);
 * the unfinished rest (a partial line, or half of a UTF-8 character) waits for more or for `flush`.
 */
export class LineFramer {
  private rest = '';
  private readonly decoder = new TextDecoder();
  private readonly breaks: RegExp;

  constructor(opts: FramerOptions = {}) {
    this.breaks = opts.crEndsLine ? /\r\n|\n|\r/ : /\r?\n/;
  }

  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    // A CR at the end may be the first half of a CRLF split across chunks: keep it for later.
    const held = text.endsWith('\r') ? 1 : 0;
    const lines = text.slice(0, text.length - held).split(this.breaks);
    this.rest = (lines.pop() ?? '') + (held ? '\r' : '');
    return lines;
  }

  /** The trailing partial line, if any; the framer is empty afterwards. */
  flush(): string[] {
    const last = (this.rest + this.decoder.decode()).replace(/\r$/, '');
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

/** A Writable that hands each complete line to `onLine`, and the partial rest when it ends. */
export function lineWritable(onLine: OnLine, opts: FramerOptions = {}): Writable {
  const framer = new LineFramer(opts);
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      framer.push(chunk).forEach(onLine);
      done();
    },
    final(done) {
      framer.flush().forEach(onLine);
      done();
    },
  });
}

/**
 * Lines printed by a buildpack keep their own prefixes when they have one (`-----> `, `       `,
 * ` !     `); anything else is indented as detail so the output reads as Dokku's does.
 */
export function asBuildOutput(line: string): string {
  if (line === '' || /^(-----> |=====> | !     |       )/.test(line)) return line;
  return detail(line);
}
