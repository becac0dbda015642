/**
 * Build output arrives in arbitrary chunks; users see it line by line. Dokku's prefixes:
 * `-----> ` marks a step, seven spaces indent detail.
 */
export type OnLine = (line: string) => void;

import { detail } from './output.ts';

export { detail, step } from './output.ts';

/** Splits a byte stream into lines (LF or CRLF; a bare CR ends a progress line too). */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly onLine: OnLine) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    // A CR at the end may be the first half of a CRLF split across chunks: keep it for later.
    const held = text.endsWith('\r') ? 1 : 0;
    const parts = text.slice(0, text.length - held).split(/\r\n|\n|\r/);
    this.rest = (parts.pop() ?? '') + (held ? '\r' : '');
    for (const line of parts) this.onLine(line);
  }

  flush(): void {
    this.rest += this.decoder.decode();
    const last = this.rest.replace(/\r$/, '');
    if (last !== '') this.onLine(last);
    this.rest = '';
  }
}

/**
 * Lines printed by a buildpack keep their own prefixes when they have one (`-----> `, `       `,
 * ` !     `); anything else is indented as detail so the output reads as Dokku's does.
 */
export function asBuildOutput(line: string): string {
  if (line === '' || /^(-----> |=====> | !     |       )/.test(line)) return line;
  return detail(line);
}
