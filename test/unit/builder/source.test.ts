import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/builder/errors.ts';
import { prepareSource, rewrittenSource, scanSource } from '../../../src/builder/source.ts';
import { entryBytes, file, headerBytes, readTar, symlink, TAR_END, writeTar } from '../../../src/lib/tar.ts';
import { gzipSync } from 'node:zlib';

const tmp = mkdtempSync(join(tmpdir(), 'dokku-source-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeApp(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n');
  writeFileSync(join(dir, 'app.json'), '{"scripts":{"dokku":{"predeploy":"true"}}}');
  writeFileSync(join(dir, 'server.js'), 'console.log(1)');
  writeFileSync(join(dir, 'lib', 'Procfile'), 'not the root one');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'run.sh'), 0o4755);
  return dir;
}

describe('sources', () => {
  it('archives a directory without .git and finds the build files at its root', async () => {
    const src = await prepareSource(makeApp('dir-app'), join(tmp, 'work1'));
    expect(src.files).toEqual(['Procfile', 'app.json', 'lib', 'run.sh', 'server.js']);
    expect(src.buildFiles).toEqual({ Procfile: 'web: node server.js\n', 'app.json': '{"scripts":{"dokku":{"predeploy":"true"}}}' });
  });

  it('reads the nginx template at the root, or only the one at the path it is asked for', async () => {
    const dir = makeApp('template-app');
    mkdirSync(join(dir, '.dokku'));
    writeFileSync(join(dir, 'nginx.conf.sigil'), 'root template');
    writeFileSync(join(dir, '.dokku', 'nginx.conf.sigil'), 'nested template');
    const template = async (work: string, path?: string) =>
      (await prepareSource(dir, join(tmp, work), undefined, path === undefined ? {} : { 'nginx.conf.sigil': path })).buildFiles['nginx.conf.sigil'];
    expect(await template('work-t1')).toBe('root template');
    expect(await template('work-t2', '.dokku/nginx.conf.sigil')).toBe('nested template');
    expect(await template('work-t3', 'missing.sigil')).toBeUndefined();
    writeFileSync(join(dir, 'nginx.conf.sigil'), 'x'.repeat(1024 * 1024 + 1));
    await expect(prepareSource(dir, join(tmp, 'work-t5'))).rejects.toThrow(/nginx\.conf\.sigil is larger than 1 MiB/);
  });

  it('reads the app.json the appjson-path names instead of the root one', async () => {
    const dir = makeApp('path-app');
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'app.json'), '{"formation":{}}');
    const src = await prepareSource(dir, join(tmp, 'work-path'), undefined, { 'app.json': 'deploy/app.json' });
    expect(src.buildFiles['app.json']).toBe('{"formation":{}}');
    const none = await prepareSource(dir, join(tmp, 'work-none'), undefined, { 'app.json': 'missing/app.json' });
    expect(none.buildFiles['app.json']).toBeUndefined();
  });

  it('reads the Procfile from the procfile-path given, and then not the root one', async () => {
    const src = await prepareSource(makeApp('nested-procfile'), join(tmp, 'work-nested'), undefined, { Procfile: 'lib/Procfile' });
    expect(src.buildFiles.Procfile).toBe('not the root one');
    const none = await prepareSource(makeApp('missing-procfile'), join(tmp, 'work-missing'), undefined, { Procfile: 'deploy/Procfile' });
    expect(none.buildFiles.Procfile).toBeUndefined();
    expect(none.buildFiles['app.json']).toBeDefined();
  });

  it('takes tar and tar.gz files as they are', async () => {
    const dir = makeApp('tar-app');
    for (const [name, flags] of [['app.tar', '-cf'], ['app.tgz', '-czf']] as const) {
      const path = join(tmp, name);
      await execa('tar', ['-C', dir, flags, path, 'Procfile', 'server.js']);
      const src = await prepareSource(path, join(tmp, 'unused'));
      expect(src.tarPath).toBe(path);
      expect(src.files).toEqual(['Procfile', 'server.js']);
      expect(src.buildFiles.Procfile).toBe('web: node server.js\n');
    }
  });

  it('refuses what is not a readable, non-empty archive', async () => {
    const junk = join(tmp, 'junk.tar');
    writeFileSync(junk, 'x'.repeat(2048));
    await expect(scanSource(junk)).rejects.toThrow(/not a readable tar archive/);
    const empty = join(tmp, 'empty.tar');
    writeFileSync(empty, TAR_END);
    await expect(scanSource(empty)).rejects.toThrow(/empty/);
    await expect(prepareSource(join(tmp, 'missing'), tmp)).rejects.toBeInstanceOf(BuildError);
  });

  it('moves every entry under the prefix, owned by the build user, without setuid bits', async () => {
    const src = await prepareSource(makeApp('relocate-app'), join(tmp, 'work2'));
    const chunks: Buffer[] = [];
    for await (const c of rewrittenSource(src.tarPath, { prefix: 'app', owner: { uid: 1000, gid: 1000 } })) chunks.push(c);
    chunks.push(TAR_END);
    const entries = readTar(Buffer.concat(chunks));
    expect(entries[0]).toMatchObject({ path: 'app', type: 'dir', uid: 1000 });
    expect(entries.every((e) => e.path === 'app' || e.path.startsWith('app/'))).toBe(true);
    expect(entries.every((e) => e.uid === 1000 && e.gid === 1000)).toBe(true);
    expect(entries.find((e) => e.path === 'app/run.sh')?.mode).toBe(0o755);
    expect(entries.find((e) => e.path === 'app/lib/Procfile')?.data?.toString()).toBe('not the root one');
  });

  it('leaves out what a filter rejects, keeping paths and owners otherwise', async () => {
    const src = await prepareSource(makeApp('filter-app'), join(tmp, 'work3'));
    const chunks: Buffer[] = [];
    for await (const c of rewrittenSource(src.tarPath, { keep: (p) => !p.startsWith('lib') })) chunks.push(c);
    chunks.push(TAR_END);
    const paths = readTar(Buffer.concat(chunks)).map((e) => e.path);
    expect(paths).toContain('server.js');
    expect(paths.some((p) => p.startsWith('lib'))).toBe(false);
    expect(src.buildFiles['.dockerignore']).toBeUndefined();
  });

  it('streams a large entry through in pieces, never as one buffer, and it comes out whole', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    const path = join(tmp, 'big.tar');
    writeFileSync(path, writeTar([file('Procfile', 'web: x\n'), file('big.bin', big), file('after', 'z')]));
    const chunks: Buffer[] = [];
    for await (const c of rewrittenSource(path, { prefix: 'app' })) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(8);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(big.length / 4);
    const entries = readTar(Buffer.concat([...chunks, TAR_END]));
    expect(entries.map((e) => e.path)).toEqual(['app', 'app/Procfile', 'app/big.bin', 'app/after']);
    expect(entries.find((e) => e.path === 'app/big.bin')!.data!.equals(big)).toBe(true);
  });

  it('refuses a build file by its declared size, a gzip bomb at the limit, and an archive without its end', async () => {
    const procfile = join(tmp, 'huge-procfile.tar');
    writeFileSync(procfile, Buffer.concat([headerBytes(file('Procfile', ''), 2 * 1024 * 1024), Buffer.alloc(2 * 1024 * 1024), TAR_END]));
    await expect(scanSource(procfile)).rejects.toThrow(/Procfile is larger than 1 MiB/);
    const bomb = join(tmp, 'bomb.tar.gz');
    writeFileSync(bomb, gzipSync(writeTar([file('zeros', Buffer.alloc(3 * 1024 * 1024))])));
    await expect(scanSource(bomb, { maxBytes: 1024 * 1024 })).rejects.toThrow(/larger than 1 MiB once uncompressed \(DOKKU_MAX_ARCHIVE_BYTES\)/);
    await expect(scanSource(bomb, { maxBytes: 4 * 1024 * 1024 })).resolves.toMatchObject({ files: ['zeros'] });
    const cut = join(tmp, 'cut.tar');
    writeFileSync(cut, entryBytes(file('a', 'x')));
    await expect(scanSource(cut)).rejects.toThrow(/truncated: it ends without the end-of-archive marker/);
    const escaping = join(tmp, 'escaping.tar');
    writeFileSync(escaping, writeTar([file('ok', 'x'), symlink('etc', '/etc')]));
    await expect(scanSource(escaping)).rejects.toThrow(/Refusing the archive: symlink 'etc' points outside the source root/);
  });
});
