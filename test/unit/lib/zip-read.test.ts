import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isZip, readZip } from '../../../src/lib/zip-read.ts';

interface Item {
  name: string;
  data?: Buffer | string;
  /** Unix mode (file type bits included); made-by is Unix when set. */
  mode?: number;
  deflate?: boolean;
  /** Size written in the headers, if not the real one (a lying bomb). */
  declared?: number;
}

/** A minimal zip writer for the tests: local headers, central directory, end record. */
function zip(items: Item[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const it of items) {
    const raw = Buffer.from(it.data ?? '');
    const body = it.deflate ? deflateRawSync(raw) : raw;
    const name = Buffer.from(it.name);
    const size = it.declared ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(it.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(it.mode === undefined ? 20 : (3 << 8) | 20, 4);
    central.writeUInt16LE(it.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((it.mode ?? 0) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const LIMITS = { maxBytes: 1024 * 1024 };

describe('readZip', () => {
  it('reads stored and deflated files, directories, modes and inside symlinks', () => {
    const archive = zip([
      { name: 'app/', mode: 0o040755 },
      { name: 'app/Procfile', data: 'web: node server.js\n', deflate: true, mode: 0o100644 },
      { name: 'app/run.sh', data: '#!/bin/sh\n', mode: 0o100755 },
      { name: 'app/current', data: 'run.sh', mode: 0o120777 },
      { name: 'README', data: 'hello' },
    ]);
    expect(isZip(archive)).toBe(true);
    const entries = readZip(archive, LIMITS);
    expect(entries.map((e) => [e.path, e.type, e.mode])).toEqual([
      ['app', 'dir', 0o755],
      ['app/Procfile', 'file', 0o644],
      ['app/run.sh', 'file', 0o755],
      ['app/current', 'symlink', 0o777],
      ['README', 'file', 0o644],
    ]);
    expect(entries[1]!.data!.toString()).toBe('web: node server.js\n');
    expect(entries[3]!.linkname).toBe('run.sh');
  });

  it('refuses ../ paths', () => {
    expect(() => readZip(zip([{ name: '../evil', data: 'x' }]), LIMITS)).toThrow(/'\.\.\/evil' has a '\.\.' in its path/);
    expect(() => readZip(zip([{ name: 'a/../../evil', data: 'x' }]), LIMITS)).toThrow(/has a '\.\.'/);
  });

  it('refuses absolute paths, Windows drive paths and backslashes', () => {
    expect(() => readZip(zip([{ name: '/etc/passwd', data: 'x' }]), LIMITS)).toThrow(/is an absolute path/);
    expect(() => readZip(zip([{ name: 'C:/x', data: 'x' }]), LIMITS)).toThrow(/is an absolute path/);
    expect(() => readZip(zip([{ name: '..\\x', data: 'x' }]), LIMITS)).toThrow(/backslash/);
  });

  it('refuses symlinks that point out of the root, and writes through a symlink', () => {
    expect(() => readZip(zip([{ name: 'etc', data: '/etc', mode: 0o120777 }]), LIMITS)).toThrow(/symlink 'etc' points outside the source root/);
    expect(() => readZip(zip([{ name: 'a/up', data: '../../x', mode: 0o120777 }]), LIMITS)).toThrow(/points outside/);
    expect(() => readZip(zip([{ name: 'd', data: 'sub', mode: 0o120777 }, { name: 'd/x', data: 'y' }]), LIMITS)).toThrow(/written through the symlink 'd'/);
  });

  it('stops a bomb at the cap, by declared size and by what actually inflates', () => {
    const big = Buffer.alloc(4 * 1024 * 1024); // 4 MiB of zeros deflate to a few KiB
    const honest = zip([{ name: 'zeros', data: big, deflate: true }]);
    expect(honest.length).toBeLessThan(64 * 1024);
    expect(() => readZip(honest, LIMITS)).toThrow(/more than 1048576 bytes once uncompressed/);
    const lying = zip([{ name: 'zeros', data: big, deflate: true, declared: 10 }]);
    expect(() => readZip(lying, LIMITS)).toThrow(/does not inflate to its declared 10 bytes/);
  });

  it('refuses what is not a zip', () => {
    expect(() => readZip(Buffer.from('not a zip at all, just some words here'), LIMITS)).toThrow(/no end of central directory/);
    expect(isZip(Buffer.from('PK'))).toBe(false);
  });
});
