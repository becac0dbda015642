import { describe, expect, it } from 'vitest';
import { repoPathProblem } from '../../../src/lib/repo-path.ts';

describe('repoPathProblem', () => {
  it('accepts paths inside the repository', () => {
    for (const p of ['app.json', 'deploy/app.json', 'a/b-c_d.1/app.prod.json']) expect(repoPathProblem(p)).toBeUndefined();
  });
  it('refuses absolute paths, .., empty and . parts, odd characters and long paths', () => {
    expect(repoPathProblem('/etc/passwd')).toMatch(/not an absolute path/);
    expect(repoPathProblem('../other/app.json')).toMatch(/'\.\.' may not appear/);
    expect(repoPathProblem('a/../../b')).toMatch(/'\.\.' may not appear/);
    expect(repoPathProblem('a//b')).toMatch(/no empty or \. parts/);
    expect(repoPathProblem('./app.json')).toMatch(/no empty or \. parts/);
    expect(repoPathProblem('a b.json')).toMatch(/use letters/);
    expect(repoPathProblem('~/app.json')).toMatch(/use letters/);
    expect(repoPathProblem(`${'a/'.repeat(130)}x`)).toMatch(/longer than 255/);
  });
});
