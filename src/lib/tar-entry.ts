/** What the tar reader and writer share: an entry as the rest of the code sees it, and the block size. */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface TarEntry {
  /** Relative path without a leading `./` or `/`; directories without a trailing slash. */
  path: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; 0 when not given, so the same entries give the same bytes. */
  mtime?: number;
  data?: Buffer;
  /** Target of a symlink or hard link. */
  linkname?: string;
  /** Size of the content as the header declares it (set by the parser). */
  size?: number;
}

/** A header as it stands in the archive, before its name is normalised (for the source-root check). */
export interface RawHeader {
  /** The name as given (pax path, GNU long name, or prefix + name). */
  name: string;
  /** The ustar type flag: '0' file, '1' hard link, '2' symlink, '3'/'4' devices, '5' dir, '6' fifo, ... */
  typeflag: string;
  linkname: string;
  size: number;
}

export const BLOCK = 512;

export function file(path: string, data: string | Buffer, mode = 0o644): TarEntry {
  return { path, type: 'file', mode, data: typeof data === 'string' ? Buffer.from(data) : data };
}

export function dir(path: string, mode = 0o755): TarEntry {
  return { path, type: 'dir', mode };
}

export function symlink(path: string, target: string): TarEntry {
  return { path, type: 'symlink', mode: 0o777, linkname: target };
}
