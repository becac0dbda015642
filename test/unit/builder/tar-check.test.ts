import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { isHostLocalAddress } from '../../../src/builder/archive-upload.ts';
import { buildApp } from '../../../src/builder/build-app.ts';
import { remoteAdds } from '../../../src/builder/dockerfile.ts';
import { SourceRootCheck } from '../../../src/builder/tar-check.ts';
import type { RawHeader } from '../../../src/lib/tar.ts';

const h = (name: string, typeflag = '0', linkname = ''): RawHeader => ({ name, typeflag, linkname, size: 0 });

/** Runs headers through one checker, in order; the first problem (or undefined). */
function firstProblem(...headers: RawHeader[]): string | undefined {
  const check = new SourceRootCheck();
  for (const header of headers) {
    const problem = check.check(header);
    if (problem) return problem;
  }
  return undefined;
}

describe('SourceRootCheck: entries stay inside the source root', () => {
  it('accepts what git archive and tar make', () => {
    expect(
      firstProblem(
        h('./', '5'),
        h('./Procfile'),
        h('./node_modules/pkg/bin/x.js'),
        h('./node_modules/.bin/x', '2', '../pkg/bin/x.js'),
        h('./lib', '5'),
        h('./lib/a', '2', 'b'),
        h('./lib/b'),
        h('./lib/b-copy', '1', './lib/b'),
        h('pax_global_header', 'g'),
      ),
    ).toBeUndefined();
  });

  const refused: Array<[string, RawHeader[], RegExp]> = [
    ['parent path', [h('../evil')], /'\.\.\/evil' has a '\.\.' in its path/],
    ['parent inside a path', [h('a/../../evil')], /has a '\.\.'/],
    ['parent that stays inside', [h('a/../b')], /has a '\.\.'/],
    ['absolute path', [h('/usr/local/bin/run-with-profile')], /is an absolute path/],
    ['absolute symlink', [h('etc', '2', '/etc')], /symlink 'etc' points outside the source root \(\/etc\)/],
    ['climbing symlink', [h('x', '2', '../../..')], /points outside the source root/],
    ['symlink climbing from a subdirectory', [h('a/b/x', '2', '../../../y')], /points outside/],
    ['symlink with no target', [h('x', '2', '')], /has no target/],
    ['write through a symlink', [h('d', '2', 'sub'), h('d/file')], /written through the symlink 'd'/],
    ['write through a nested symlink', [h('a/up', '2', '..'), h('a/up/x', '2', '../..')], /written through the symlink 'a\/up'/],
    ['hard link to a missing target', [h('link', '1', 'missing')], /hard link 'link' points to 'missing', which the archive does not hold before it/],
    ['hard link before its target', [h('link', '1', 'later'), h('later')], /does not hold before it/],
    ['hard link outside', [h('link', '1', '../../etc/shadow')], /hard link 'link' points outside/],
    ['absolute hard link', [h('link', '1', '/etc/shadow')], /points outside/],
    ['hard link to a directory', [h('d', '5'), h('link', '1', 'd')], /does not hold before it/],
    ['character device', [h('dev/null', '3')], /is a character device/],
    ['block device', [h('sda', '4')], /is a block device/],
    ['fifo', [h('pipe', '6')], /is a fifo/],
  ];
  for (const [what, headers, message] of refused) {
    it(`refuses: ${what}`, () => expect(firstProblem(...headers)).toMatch(message));
  }

  it('a file that replaces a symlink of the same name is no longer a symlink', () => {
    expect(firstProblem(h('d', '2', 'sub'), h('d', '5'), h('d/file'))).toBeUndefined();
  });

  it('escapes control characters in what it prints', () => {
    expect(firstProblem(h('/\u001b[2Jx'))).not.toContain('\u001b');
  });
});

describe('remoteAdds: Dockerfile ADD with a URL', () => {
  it('finds URLs in every form ADD takes', () => {
    expect(remoteAdds('FROM x\nADD http://127.0.0.1:9/x /x\n')).toEqual(['http://127.0.0.1:9/x']);
    expect(remoteAdds('from x\nadd --chown=1:1 --chmod=644 https://a/b /b')).toEqual(['https://a/b']);
    expect(remoteAdds('ADD ["https://a/b", "/b"]')).toEqual(['https://a/b']);
    expect(remoteAdds('ADD --checksum=sha256:00 ["https://a/b", "/b"]')).toEqual(['https://a/b']);
    expect(remoteAdds('ADD \\\n  http://a/b \\\n  /b')).toEqual(['http://a/b']);
    expect(remoteAdds('# escape=`\nADD `\n  http://a/b /b')).toEqual(['http://a/b']);
    expect(remoteAdds('ADD git@github.com:x/y.git /src')).toEqual(['git@github.com:x/y.git']);
    expect(remoteAdds('ADD local.txt ftp://nope/ /dst/')).toEqual(['ftp://nope/']);
  });

  it("a tenant's build (a push) is refused before Docker is asked anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dokku-remote-add-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM x\nADD http://127.0.0.1:9/secret /s\n');
    const docker = new Proxy({}, { get: () => { throw new Error('Docker was used'); } }) as unknown as Docker;
    const input = { docker, settings: { caBundle: '', stackImage: 'x' }, app: 'web', source: dir, imageTag: 'dokku/web:build-1', onLine: () => {} };
    await expect(buildApp({ ...input, tenant: true })).rejects.toThrow(/ADD with a URL is not allowed for this key \(http:\/\/127\.0\.0\.1:9\/secret\)/);
    await expect(buildApp(input)).rejects.toThrow(/Docker was used/);
  });

  it('leaves local ADD and COPY alone', () => {
    expect(remoteAdds('FROM x\nADD app.tar.gz /app\nCOPY . /app\nRUN curl http://x/y\n# ADD http://x /y')).toEqual([]);
  });
});

describe('isHostLocalAddress', () => {
  it('is loopback, link-local and unspecified, in both families', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '0.0.0.0', '169.254.169.254', '::1', '::', 'fe80::1', '::ffff:127.0.0.1']) expect(isHostLocalAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '172.17.0.1', '192.168.1.1', '8.8.8.8', '2001:db8::1', '::ffff:8.8.8.8']) expect(isHostLocalAddress(a), a).toBe(false);
  });
});
