import { describe, expect, it } from 'vitest';
import { splitImageRef } from '../../../src/builder/image-ref.ts';
import { debootstrapArgs, nodeRuntimeEntries, STACK_DEFAULTS, STACK_USER, stackBaseTag, stackDockerfile } from '../../../src/builder/stack.ts';
import { dir, file, writeTar } from '../../../src/lib/tar.ts';
import { gzipSync } from 'node:zlib';

describe('stack', () => {
  it('names the imported base after the stack image', () => {
    expect(stackBaseTag('dokku/stack:bookworm')).toBe('dokku/stack:bookworm-base');
    expect(stackBaseTag('localhost:5000/stack')).toBe('localhost:5000/stack:latest-base');
    expect(splitImageRef('localhost:5000/org/app:build-3')).toEqual({ repo: 'localhost:5000/org/app', tag: 'build-3' });
  });

  it('bootstraps a minimal Debian with what the built-in buildpacks need', () => {
    const args = debootstrapArgs('bookworm', '/tmp/root', 'http://deb.debian.org/debian', STACK_DEFAULTS.packages);
    expect(args).toEqual(['--variant=minbase', '--include=ca-certificates,git,python3,python3-pip', 'bookworm', '/tmp/root', 'http://deb.debian.org/debian']);
  });

  it('adds Node.js and the unprivileged build user in one layer', () => {
    const text = stackDockerfile('dokku/stack:bookworm-base');
    expect(text.split('\n')[0]).toBe('FROM dokku/stack:bookworm-base');
    expect(text).toContain('ADD node-runtime.tar /');
    expect(text).toContain(`useradd --uid ${STACK_USER.uid} --gid ${STACK_USER.gid}`);
    expect(text).toContain('install -d -o 1000 -g 1000 /app /cache');
  });

  it('lays out node and npm from their registry tarballs under /usr/local', () => {
    const node = gzipSync(writeTar([dir('package'), file('package/bin/node', 'ELF', 0o755), file('package/include/node/v8.h', 'h')]));
    const npm = gzipSync(writeTar([file('package/package.json', '{}'), file('package/bin/npm-cli.js', '#!/usr/bin/env node', 0o755), file('package/node_modules/semver/index.js', '')]));
    const entries = nodeRuntimeEntries(node, npm);
    const paths = entries.map((e) => e.path);
    expect(paths).toContain('usr/local/bin/node');
    expect(paths).not.toContain('usr/local/include/node/v8.h');
    expect(paths).toContain('usr/local/lib/node_modules/npm/node_modules/semver/index.js');
    expect(paths).toContain('usr/local/lib/node_modules/npm/node_modules/semver'); // parents are explicit
    expect(entries.find((e) => e.path === 'usr/local/bin/npm')).toMatchObject({ type: 'symlink', linkname: '../lib/node_modules/npm/bin/npm-cli.js' });
    expect(entries.find((e) => e.path === 'usr/local/lib/node_modules/npm/bin/npm-cli.js')?.mode).toBe(0o755);
    // every directory is listed, and comes before what it holds
    const dirAt = new Map(entries.flatMap((e, i) => (e.type === 'dir' ? [[e.path, i] as const] : [])));
    entries.forEach((e, i) => {
      const parent = e.path.slice(0, Math.max(0, e.path.lastIndexOf('/')));
      if (!parent) return;
      expect(dirAt.has(parent), `${e.path}: its directory ${parent} is listed`).toBe(true);
      expect(dirAt.get(parent)!, `${e.path}: its directory ${parent} comes first`).toBeLessThan(i);
    });
  });

  it('refuses a node tarball without bin/node', () => {
    expect(() => nodeRuntimeEntries(gzipSync(writeTar([file('package/README.md', '')])), gzipSync(writeTar([])))).toThrow(/no package\/bin\/node/);
  });
});
