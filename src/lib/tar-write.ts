/** Writes ustar archives, with a pax header for a name or link target ustar cannot hold. */
import { BLOCK, type TarEntry, type TarEntryType } from './tar-entry.ts';

const TYPE_FLAGS: Record<TarEntryType, string> = { file: '0', dir: '5', symlink: '2', hardlink: '1' };

export function writeTar(entries: TarEntry[]): Buffer {
  return Buffer.concat([...entries.map(entryBytes), TAR_END]);
}

/** Two zero blocks close an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** One entry as it appears in an archive: its header(s), then its content padded to 512 bytes. */
export function entryBytes(entry: TarEntry): Buffer {
  const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const head = headerBytes(entry, data.length);
  return data.length > 0 ? Buffer.concat([head, padded(data)]) : head;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function paddingFor(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** An entry's header block(s) for `size` bytes of content that the caller writes after it, then paddingFor(size). */
export function headerBytes(entry: TarEntry, size: number): Buffer {
  const blocks: Buffer[] = [];
  const contentSize = entry.type === 'file' ? size : 0;
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const linkname = entry.linkname ?? '';
  const split = splitName(name);
  const pax: Record<string, string> = {};
  if (!split) pax.path = name;
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (Object.keys(pax).length > 0) {
    const body = paxBody(pax);
    blocks.push(header({ name: 'PaxHeader', prefix: '', type: 'x', size: body.length, mode: 0o644, linkname: '' }, entry));
    blocks.push(padded(body));
  }
  blocks.push(
    header(
      {
        name: split?.name ?? name.slice(-100),
        prefix: split?.prefix ?? '',
        type: TYPE_FLAGS[entry.type],
        size: contentSize,
        mode: entry.mode,
        linkname: pax.linkpath ? '' : linkname,
      },
      entry,
    ),
  );
  return Buffer.concat(blocks);
}

interface HeaderFields {
  name: string;
  prefix: string;
  type: string;
  size: number;
  mode: number;
  linkname: string;
}

function header(h: HeaderFields, entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, entry.uid ?? 0);
  writeOctal(block, 116, 8, entry.gid ?? 0);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, entry.mtime ?? 0);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block.write(h.type, 156, 1, 'latin1');
  block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

/** ustar stores names up to 100 bytes, or up to 255 split at a slash into prefix and name. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

function paxBody(fields: Record<string, string>): Buffer {
  const records = Object.entries(fields).map(([key, value]) => {
    const rest = ` ${key}=${value}\n`;
    // The length prefix counts itself, so grow it until it is stable.
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    return `${len}${rest}`;
  });
  return Buffer.from(records.join(''));
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) {
    // GNU base-256 for sizes past 8 GiB: high bit set, big-endian binary.
    block[offset] = 0x80;
    let v = BigInt(value);
    for (let i = offset + width - 1; i > offset; i--) {
      block[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return;
  }
  block.write(`${digits.padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}
