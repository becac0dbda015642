import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dir, entryBytes, file, normalizePath, readTar, symlink, TAR_END, TarParser, writeTar, type TarEntry } from '../../../src/lib/tar.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dokku-tar-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const longDir = `a/${'d'.repeat(120)}/${'e'.repeat(60)}`;
const veryLong = `${'x'.repeat(200)}/${'y'.repeat(150)}/file.txt`;
const sample: TarEntry[] = [
  dir('a'),
  file('a/hello.txt', 'hello\n'),
  file('a/run.sh', '#!/bin/sh\necho hi\n', 0o755),
  { ...file('a/owned', 'x'), uid: 1000, gid: 1000 },
  symlink('a/link', 'hello.txt'),
  file(`${longDir}/long.txt`, 'long name via prefix'),
  file(veryLong, 'long name via pax'),
  symlink('a/far', `/${'t'.repeat(150)}`),
  file('unicodé/fïle', 'ü'),
  file('empty', ''),
  file('big.bin', Buffer.alloc(70_000, 7)),
];

describe('tar writer and reader', () => {
  it('round-trips paths, modes, owners, links and content', () => {
    const back = readTar(writeTar(sample));
    expect(back.map((e) => e.path)).toEqual(sample.map((e) => e.path));
    for (const [i, e] of back.entries()) {
      const want = sample[i]!;
      expect(e.type).toBe(want.type);
      expect(e.mode).toBe(want.mode);
      expect(e.uid).toBe(want.uid ?? 0);
      if (want.type === 'file') expect(e.data?.equals(want.data!)).toBe(true);
      if (want.linkname) expect(e.linkname).toBe(want.linkname);
    }
  });

  it('reads gzip-compressed archives', () => {
    expect(readTar(gzipSync(writeTar(sample))).map((e) => e.path)).toEqual(sample.map((e) => e.path));
  });

  it('writes archives GNU tar reads, long names included', async () => {
    const path = join(tmp, 'mine.tar');
    writeFileSync(path, writeTar(sample));
    const { stdout } = await execa('tar', ['-tf', path]);
    expect(stdout.split('\n')).toContain(veryLong);
    expect(stdout.split('\n')).toContain(`${longDir}/long.txt`);
    const out = join(tmp, 'x');
    mkdirSync(out);
    await execa('tar', ['-xf', path, '-C', out]);
    expect(readFileSync(join(out, veryLong), 'utf8')).toBe('long name via pax');
    expect(readFileSync(join(out, 'a/link'), 'utf8')).toBe('hello\n');
  });

  it('reads archives GNU tar writes (./ prefixes, long names, symlinks)', async () => {
    const src = join(tmp, 'src');
    mkdirSync(join(src, 'd'.repeat(150)), { recursive: true });
    writeFileSync(join(src, 'd'.repeat(150), 'f'.repeat(120)), 'deep');
    writeFileSync(join(src, 'Procfile'), 'web: x');
    symlinkSync('Procfile', join(src, 'alias'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      const path = join(tmp, `${format}.tar`);
      const res = await execa('tar', [`--format=${format}`, '-C', src, '-cf', path, '.'], { reject: false });
      if (format === 'ustar') {
        expect(res.exitCode).not.toBe(0); // ustar cannot hold a 271-byte name: GNU tar refuses it
        continue;
      }
      const entries = readTar(readFileSync(path));
      const deep = entries.find((e) => e.path === `${'d'.repeat(150)}/${'f'.repeat(120)}`);
      expect(deep?.data?.toString()).toBe('deep');
      expect(entries.find((e) => e.path === 'alias')).toMatchObject({ type: 'symlink', linkname: 'Procfile' });
      expect(entries.find((e) => e.path === '')).toMatchObject({ type: 'dir' });
    }
  });

  it('parses input split into chunks of any size, keeping only wanted content', () => {
    const archive = writeTar(sample);
    for (const size of [1, 7, 511, 512, 513, 4096]) {
      const seen: string[] = [];
      const kept: Record<string, string> = {};
      const parser = new TarParser({
        onEntry: (e) => {
          seen.push(e.path);
          return e.path.endsWith('.txt');
        },
        onData: (e, data) => (kept[e.path] = data.toString()),
      });
      for (let i = 0; i < archive.length; i += size) parser.push(archive.subarray(i, i + size));
      parser.end();
      expect(seen).toEqual(sample.map((e) => e.path));
      expect(Object.keys(kept).sort()).toEqual(['a/hello.txt', `${longDir}/long.txt`, veryLong].sort());
    }
  });

  it('rejects data that is not tar and archives cut short', () => {
    expect(() => readTar(Buffer.from('not a tar archive'.repeat(64)))).toThrow(/Not a tar archive/);
    const archive = writeTar([file('f', Buffer.alloc(2000, 1))]);
    const parser = new TarParser({ onEntry: () => false });
    parser.push(archive.subarray(0, 1000));
    expect(() => parser.end()).toThrow(/Truncated/);
  });

  it('lets archives be concatenated entry by entry', () => {
    const joined = Buffer.concat([entryBytes(file('one', '1')), entryBytes(file('two', '2')), TAR_END]);
    expect(readTar(joined).map((e) => e.path)).toEqual(['one', 'two']);
  });

  it('normalizes member names', () => {
    expect(normalizePath('./a//b/')).toBe('a/b');
    expect(normalizePath('/abs/x')).toBe('abs/x');
    expect(normalizePath('./')).toBe('');
  });
});
