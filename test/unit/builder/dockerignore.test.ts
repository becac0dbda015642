import { describe, expect, it } from 'vitest';
import { dockerignoreFilter } from '../../../src/builder/dockerignore.ts';

describe('.dockerignore', () => {
  const keep = dockerignoreFilter(
    ['# build output and secrets', 'node_modules', '*.log', '**/*.tmp', 'secrets/', '!secrets/public.pem', 'docs/**/draft-?.md', '/abs', 'Dockerfile', '.dockerignore', ''].join('\n'),
  );

  it.each([
    ['node_modules', false],
    ['node_modules/ms/index.js', false],
    ['lib/node_modules', true], // no ** : only at the root
    ['error.log', false],
    ['logs/error.log', true],
    ['a/b/c.tmp', false],
    ['c.tmp', false],
    ['secrets/key.pem', false],
    ['secrets/public.pem', true],
    ['docs/x/y/draft-1.md', false],
    ['docs/draft-1.md', false],
    ['docs/draft-12.md', true],
    ['abs', false],
    ['server.js', true],
    ['Dockerfile', true],
    ['.dockerignore', true],
  ])('%s → %s', (path, kept) => {
    expect(keep(path)).toBe(kept);
  });

  it('lets the last matching line win', () => {
    const f = dockerignoreFilter('*.md\n!README.md\nREADME.md\n');
    expect(f('README.md')).toBe(false);
    expect(dockerignoreFilter('*\n!src\n')('src/a.js')).toBe(true);
    expect(dockerignoreFilter('*\n!src\n')('other.js')).toBe(false);
  });

  it('keeps everything when empty', () => {
    expect(dockerignoreFilter('')('anything/at/all')).toBe(true);
  });
});
