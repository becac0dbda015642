/** Reads tar archives (ustar, pax and GNU long names), whole or incrementally as chunks arrive. */
import { gunzipSync } from 'node:zlib';
import { BLOCK, type RawHeader, type TarEntry, type TarEntryType } from './tar-entry.ts';

/** pax and GNU long-name records are a few names long; anything bigger is not a real archive. */
const MAX_META = 1024 * 1024;

/** Reads every entry of a tar archive, gzip-compressed or not. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  const parser = new TarParser({
    onEntry: () => true,
    onData: (entry, data) => entries.push(entry.type === 'file' ? { ...entry, data } : entry),
  });
  parser.push(isGzip(archive) ? gunzipSync(archive) : archive);
  parser.end();
  return entries;
}

export interface TarParserHandlers {
  /** Every header as it stands in the archive (devices and fifos included): throw to refuse it. */
  onHeader?(header: RawHeader): void;
  /**
   * Called for each entry's header; return true to receive its content through onData, or
   * 'stream' to receive it through onChunk as it arrives and then onEnd (never held whole).
   */
  onEntry(entry: TarEntry): boolean | 'stream';
  /** Called once per wanted entry with its whole content (empty for non-files). */
  onData?(entry: TarEntry, data: Buffer): void;
  /** A piece of a streamed entry's content. */
  onChunk?(entry: TarEntry, chunk: Buffer): void;
  /** A streamed entry is complete. */
  onEnd?(entry: TarEntry): void;
}

/**
 * An incremental tar reader: feed it chunks as they arrive. Content is buffered only for the
 * entries the caller wants, so a large source archive can be scanned for a few small files.
 */
export class TarParser {
  private buf: Buffer = Buffer.alloc(0);
  private offset = 0; // bytes consumed so far, for error messages
  private current:
    | { entry: TarEntry | undefined; meta: string | undefined; remaining: number; padding: number; chunks: Buffer[] | undefined; stream: boolean }
    | undefined;
  private pax: Record<string, string> = {};
  private globalPax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;
  private ended = false;

  constructor(private readonly handlers: TarParserHandlers) {}

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.current) {
        if (!this.consumeBody()) return;
        continue;
      }
      if (this.buf.length < BLOCK) return;
      const block = this.take(BLOCK);
      if (block.every((b) => b === 0)) {
        this.ended = true; // end-of-archive marker; whatever follows is padding
        return;
      }
      this.startEntry(block);
    }
  }

  /** Call after the last chunk: an archive cut off inside an entry is an error. */
  end(): void {
    if (this.current) throw new Error('Truncated tar archive');
  }

  /** Whether the end-of-archive marker was seen (an archive cut off between entries has none). */
  get complete(): boolean {
    return this.ended;
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  private startEntry(block: Buffer): void {
    if (!checksumOk(block)) throw new Error(`Not a tar archive, or a corrupt one (bad header at byte ${this.offset - BLOCK})`);
    const size = readNumber(block.subarray(124, 136));
    const typeflag = String.fromCharCode(block[156] || 48);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META) throw new Error(`Tar metadata entry of ${size} bytes is too large`);
      this.current = { entry: undefined, meta: typeflag, remaining: size, padding, chunks: [], stream: false };
      return;
    }
    const pax = { ...this.globalPax, ...this.pax };
    const prefix = block.subarray(257, 263).toString('latin1').startsWith('ustar') ? cString(block.subarray(345, 500)) : '';
    const rawName = pax.path ?? this.longName ?? (prefix ? `${prefix}/` : '') + cString(block.subarray(0, 100));
    const linkname = pax.linkpath ?? this.longLink ?? cString(block.subarray(157, 257));
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    this.handlers.onHeader?.({ name: rawName, typeflag, linkname, size });
    const type = entryType(typeflag);
    const entry: TarEntry | undefined = type && {
      path: normalizePath(rawName),
      type,
      mode: readNumber(block.subarray(100, 108)),
      uid: readNumber(block.subarray(108, 116)),
      gid: readNumber(block.subarray(116, 124)),
      mtime: readNumber(block.subarray(136, 148)),
      size: type === 'file' ? size : 0,
      ...(type === 'symlink' || type === 'hardlink' ? { linkname } : {}),
    };
    const wanted = entry ? this.handlers.onEntry(entry) : false;
    const stream = wanted === 'stream';
    this.current = { entry: wanted ? entry : undefined, meta: undefined, remaining: size, padding, chunks: wanted && !stream ? [] : undefined, stream };
  }

  /** Consumes as much of the current entry's content as has arrived; true when it is complete. */
  private consumeBody(): boolean {
    const cur = this.current!;
    if (cur.remaining > 0) {
      const n = Math.min(cur.remaining, this.buf.length);
      const part = this.take(n);
      if (cur.stream && cur.entry) this.handlers.onChunk?.(cur.entry, Buffer.from(part));
      else cur.chunks?.push(Buffer.from(part));
      cur.remaining -= n;
      if (cur.remaining > 0) return false;
    }
    if (cur.padding > 0) {
      const n = Math.min(cur.padding, this.buf.length);
      this.take(n);
      cur.padding -= n;
      if (cur.padding > 0) return false;
    }
    this.current = undefined;
    const data = cur.chunks ? Buffer.concat(cur.chunks) : Buffer.alloc(0);
    if (cur.meta === 'x') this.pax = { ...this.pax, ...parsePax(data) };
    else if (cur.meta === 'g') this.globalPax = { ...this.globalPax, ...parsePax(data) };
    else if (cur.meta === 'L') this.longName = cString(data);
    else if (cur.meta === 'K') this.longLink = cString(data);
    else if (cur.entry && cur.stream) this.handlers.onEnd?.(cur.entry);
    else if (cur.entry) this.handlers.onData?.(cur.entry, data);
    return true;
  }
}

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** `./a/b/`, `/a/b` and `a//b` all become `a/b`; the archive root itself becomes ''. */
export function normalizePath(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function entryType(flag: string): TarEntryType | undefined {
  if (flag === '0' || flag === '7') return 'file';
  if (flag === '5') return 'dir';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return undefined; // devices, fifos: nothing a build needs
}

function parsePax(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(body.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) fields[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return fields;
}

function readNumber(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let v = 0n;
    for (let i = 1; i < field.length; i++) v = (v << 8n) | BigInt(field[i]!);
    return Number(v);
  }
  const text = cString(field).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = readNumber(block.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end === -1 ? buf.length : end).toString('utf8');
}
