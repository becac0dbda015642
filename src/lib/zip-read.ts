/**
 * Reads a zip archive (stored or deflated entries) into tar entries, with the tar reader's rules:
 * no absolute paths, no `..`, no symlink pointing outside the root, and the uncompressed total
 * capped (a zip bomb stops at the cap, before it is inflated past it).
 */
import { inflateRawSync } from 'node:zlib';
import { UserError } from './errors.ts';
import type { TarEntry } from './tar-entry.ts';
import { normalizePath } from './tar-read.ts';

export interface ZipLimits {
  /** Most bytes all entries may hold once uncompressed. */
  maxBytes: number;
  /** Most entries. */
  maxEntries?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

const bad = (why: string): never => {
  throw new UserError(`Refusing the zip archive: ${why}`);
};

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL;
}

/** The root-relative path, or why it is refused. */
function safePath(name: string): string {
  const shown = `'${name.slice(0, 200).replace(/[^\x20-\x7e]/g, '?')}'`;
  if (name.includes('\\')) bad(`${shown} has a backslash in its path`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) bad(`${shown} is an absolute path`);
  if (name.split('/').includes('..')) bad(`${shown} has a '..' in its path`);
  return normalizePath(name);
}

/** Whether `target`, relative to the link's directory, stays inside the root. */
function insideRoot(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const parts = linkPath.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return false;
      parts.pop();
    } else parts.push(p);
  }
  return true;
}

export function readZip(zip: Buffer, limits: ZipLimits): TarEntry[] {
  const maxEntries = limits.maxEntries ?? 100_000;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end of central directory (not a zip, or cut off)');
  const count = zip.readUInt16LE(eocd + 10);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) bad('zip64 archives are not read');
  if (count > maxEntries) bad(`more than ${maxEntries} entries`);
  const entries: TarEntry[] = [];
  const symlinks = new Set<string>();
  let total = 0;
  let pos = cdOffset;
  for (let n = 0; n < count; n++) {
    if (pos + 46 > zip.length || zip.readUInt32LE(pos) !== CENTRAL) bad('a damaged central directory');
    const flags = zip.readUInt16LE(pos + 8);
    const method = zip.readUInt16LE(pos + 10);
    const compressed = zip.readUInt32LE(pos + 20);
    const size = zip.readUInt32LE(pos + 24);
    const nameLen = zip.readUInt16LE(pos + 28);
    const extraLen = zip.readUInt16LE(pos + 30);
    const commentLen = zip.readUInt16LE(pos + 32);
    const madeBy = zip.readUInt16LE(pos + 4) >> 8;
    const external = zip.readUInt32LE(pos + 38);
    const localOffset = zip.readUInt32LE(pos + 42);
    const rawName = zip.subarray(pos + 46, pos + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    pos += 46 + nameLen + extraLen + commentLen;
    if (flags & 0x1) bad(`'${rawName.slice(0, 200)}' is encrypted`);
    const path = safePath(rawName);
    const unixMode = madeBy === 3 ? external >>> 16 : 0;
    const isDir = rawName.endsWith('/') || (unixMode & S_IFMT) === S_IFDIR;
    for (const link of symlinks) if (path.startsWith(`${link}/`)) bad(`'${path}' is written through the symlink '${link}'`);
    if (path === '') continue;
    if (isDir) {
      entries.push({ path, type: 'dir', mode: 0o755 });
      continue;
    }
    total += size;
    if (total > limits.maxBytes) bad(`it holds more than ${limits.maxBytes} bytes once uncompressed`);
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL) bad(`'${path}' has no local header`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const body = zip.subarray(start, start + compressed);
    if (body.length !== compressed) bad(`'${path}' is cut off`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) {
      try {
        // maxOutputLength stops a bomb whose central directory lies about the size.
        data = inflateRawSync(body, { maxOutputLength: Math.max(size, 1) });
      } catch {
        return bad(`'${path}' does not inflate to its declared ${size} bytes`);
      }
    } else return bad(`'${path}' uses compression method ${method} (only stored and deflate are read)`);
    if (data.length !== size) bad(`'${path}' does not inflate to its declared ${size} bytes`);
    if ((unixMode & S_IFMT) === S_IFLNK) {
      const target = data.toString('utf8');
      if (target === '' || !insideRoot(path, target)) bad(`symlink '${path}' points outside the source root (${target.slice(0, 200)})`);
      symlinks.add(path);
      entries.push({ path, type: 'symlink', mode: 0o777, linkname: target });
      continue;
    }
    symlinks.delete(path);
    entries.push({ path, type: 'file', mode: unixMode & 0o111 ? 0o755 : 0o644, data });
  }
  return entries;
}
