/**
 * Which tar entries may go into a build: everything must stay inside the source root. The
 * archive is unpacked under /app of a build container (or as a Docker build context), so an entry
 * that climbs out (`../x`, `/etc/passwd`), a symlink that points out (`etc -> /etc`,
 * `x -> ../../..`) or that a later entry writes through, a hard link to something the archive did
 * not hold before it, or a device node would reach the image's own files. Pure: it sees headers
 * one by one, in archive order, and says what is wrong with the first bad one.
 */
import { printable } from '../lib/validate.ts';
import type { RawHeader } from '../lib/tar.ts';

const FILE_FLAGS = new Set(['0', '7', '\u0000', '']);
const SPECIAL: Record<string, string> = { '3': 'a character device', '4': 'a block device', '6': 'a fifo' };

export class SourceRootCheck {
  private readonly files = new Set<string>();
  private readonly symlinks = new Set<string>();

  /** Undefined when the entry is fine; otherwise why it is refused (one line). */
  check(h: RawHeader): string | undefined {
    const where = `'${printable(h.name.slice(0, 200))}'`;
    if (h.name.startsWith('/')) return `${where} is an absolute path`;
    const parts = splitParts(h.name);
    if (parts === undefined || h.name.split('/').includes('..')) return `${where} has a '..' in its path`;
    const path = parts.join('/');
    if (SPECIAL[h.typeflag]) return `${where} is ${SPECIAL[h.typeflag]}`;
    for (let i = 1; i < parts.length; i++) {
      if (this.symlinks.has(parts.slice(0, i).join('/'))) return `${where} is written through the symlink '${printable(parts.slice(0, i).join('/'))}'`;
    }
    if (h.typeflag === '2') {
      if (h.linkname === '') return `symlink ${where} has no target`;
      if (h.linkname.startsWith('/')) return `symlink ${where} points outside the source root (${printable(h.linkname.slice(0, 200))})`;
      const target = splitParts([...parts.slice(0, -1), h.linkname].join('/'));
      if (target === undefined) return `symlink ${where} points outside the source root (${printable(h.linkname.slice(0, 200))})`;
      this.symlinks.add(path);
      return undefined;
    }
    if (h.typeflag === '1') {
      const target = h.linkname.startsWith('/') || h.linkname.split('/').includes('..') ? undefined : splitParts(h.linkname);
      if (target === undefined) return `hard link ${where} points outside the source root`;
      if (!this.files.has(target.join('/'))) return `hard link ${where} points to '${printable(h.linkname.slice(0, 200))}', which the archive does not hold before it`;
      this.files.add(path);
      return undefined;
    }
    // A later entry of the same name replaces a symlink, as tar does; it is then no longer one.
    this.symlinks.delete(path);
    if (FILE_FLAGS.has(h.typeflag)) this.files.add(path);
    return undefined;
  }
}

/** `a/./b//c` → [a, b, c]; `a/../b` → [b]; undefined when `..` climbs above the root. */
function splitParts(name: string): string[] | undefined {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out;
}
