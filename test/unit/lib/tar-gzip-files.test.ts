import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dir, file, readTar, symlink, writeTar } from '../../../src/lib/tar.ts';
import { extractTarGz, startsAsGzip, TarGzWriter } from '../../../src/lib/tar-gzip-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dokku-targz-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function archiveOf(name: string, build: (w: TarGzWriter) => Promise<void>): Promise<{ path: string; done: { bytes: number; sha256: string } }> {
  const path = join(tmp, name);
  const fd = openSync(path, 'w');
  const w = new TarGzWriter((c) => void writeSync(fd, c));
  await build(w);
  const done = await w.finish();
  closeSync(fd);
  return { path, done };
}

describe('a .tar.gz of files on disk', () => {
  it('streams files in, with each one\'s size and sha256, and reads back what went in', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    writeFileSync(join(tmp, 'big.bin'), big);
    writeFileSync(join(tmp, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const written: Record<string, { size: number; sha256: string }> = {};
    const { path, done } = await archiveOf('a.tar.gz', async (w) => {
      await w.dir('top', 0o750);
      written['top/big.bin'] = await w.file('top/big.bin', join(tmp, 'big.bin'));
      written['top/run.sh'] = await w.file('top/run.sh', join(tmp, 'run.sh'), { uid: 1000, gid: 1001 });
      written['manifest.json'] = await w.buffer('manifest.json', Buffer.from('{}'));
    });
    expect(written['top/big.bin']).toEqual({ size: big.length, sha256: sha(big) });
    const raw = readFileSync(path);
    expect(done).toEqual({ bytes: raw.length, sha256: sha(raw) });
    expect(startsAsGzip(path)).toBe(true);
    // What any tar reader sees.
    const entries = readTar(gunzipSync(raw));
    expect(entries.map((e) => [e.path, e.type, e.mode])).toEqual([['top', 'dir', 0o750], ['top/big.bin', 'file', 0o644], ['top/run.sh', 'file', 0o755], ['manifest.json', 'file', 0o644]]);
    expect(entries[2]).toMatchObject({ uid: 1000, gid: 1001 });

    const out = join(tmp, 'out-a');
    const got = await extractTarGz(path, 'a.tar.gz', (e) => join(out, e.path));
    expect(got.bytes).toBe(raw.length);
    expect(got.sha256).toBe(sha(raw));
    expect(Object.fromEntries(got.files)).toEqual(written);
    expect([...got.dirs]).toEqual(['top']);
    expect(readFileSync(join(out, 'top/big.bin')).equals(big)).toBe(true);
    expect(got.entries.get('top/run.sh')).toMatchObject({ mode: 0o755, uid: 1000, gid: 1001 });
  });

  it('refuses what is not gzip, not a whole tar, or holds links, devices or a name twice', async () => {
    const put = (name: string, data: Buffer) => {
      writeFileSync(join(tmp, name), data);
      return join(tmp, name);
    };
    const place = (name: string) => (e: { path: string }) => join(tmp, `x-${name}`, e.path);
    const plain = put('plain.tar', writeTar([file('a', 'x')]));
    expect(startsAsGzip(plain)).toBe(false);
    await expect(extractTarGz(plain, 'plain.tar', place('p'))).rejects.toThrow(/^plain\.tar is not a gzip file, or a damaged one/);
    const cut = gzipSync(writeTar([file('a', randomBytes(5000))])).subarray(0, 2000);
    await expect(extractTarGz(put('cut.tar.gz', cut), 'cut.tar.gz', place('c'))).rejects.toThrow(/^cut\.tar\.gz is not a gzip file, or a damaged one/);
    const noEnd = gzipSync(writeTar([file('a', 'x')]).subarray(0, 1024));
    await expect(extractTarGz(put('noend.tar.gz', noEnd), 'noend.tar.gz', place('n'))).rejects.toThrow(/^noend\.tar\.gz is cut short/);
    const garbage = gzipSync(Buffer.alloc(2048, 0x41));
    await expect(extractTarGz(put('garbage.tar.gz', garbage), 'garbage.tar.gz', place('g'))).rejects.toThrow(/^garbage\.tar\.gz is not a whole tar archive/);
    const link = gzipSync(writeTar([dir('d'), symlink('d/l', '/etc/passwd')]));
    await expect(extractTarGz(put('link.tar.gz', link), 'link.tar.gz', place('l'))).rejects.toThrow(/^link\.tar\.gz holds 'd\/l', which is not a file or directory \(type "2"\)$/);
    const twice = gzipSync(writeTar([file('a', 'x'), file('a', 'y')]));
    await expect(extractTarGz(put('twice.tar.gz', twice), 'twice.tar.gz', place('t'))).rejects.toThrow(/^twice\.tar\.gz holds 'a' twice$/);
  });

  it('leaves refusing a name to the caller, before anything of it is written', async () => {
    mkdirSync(join(tmp, 'x-r'), { recursive: true });
    const { path } = await archiveOf('r.tar.gz', async (w) => {
      await w.buffer('ok', Buffer.from('1'));
      await w.buffer('evil', Buffer.from('2'));
    });
    await expect(
      extractTarGz(path, 'r.tar.gz', (e) => {
        if (e.path === 'evil') throw new Error('refused evil');
        return join(tmp, 'x-r', e.path);
      }),
    ).rejects.toThrow('refused evil');
  });
});
