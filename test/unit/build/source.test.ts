import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/build/errors.ts';
import { prepareSource, rewrittenSource, scanSource } from '../../../src/build/source.ts';
import { readTar, TAR_END } from '../../../src/build/tar.ts';

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
});
