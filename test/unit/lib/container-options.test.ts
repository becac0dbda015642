import { repoPathProblem } from '../../../src/lib/repo-path.ts';
import { describe, expect, it } from 'vitest';
import { logConfig, logMaxSizeProblem, restartPolicy, restartPolicyProblem } from '../../../src/lib/container-options.ts';

describe('restart-policy', () => {
  it("accepts Docker's policies", () => {
    for (const v of ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:5']) expect(restartPolicyProblem(v), v).toBeUndefined();
  });
  it('refuses anything else', () => {
    for (const v of ['', 'sometimes', 'on-failure:', 'on-failure:-1', 'on-failure:99999', 'always ', 'on-failure:1:2']) expect(restartPolicyProblem(v), v).toMatch(/^Invalid restart-policy/);
  });
  it("turns into Docker's RestartPolicy", () => {
    expect(restartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(restartPolicy('on-failure')).toEqual({ Name: 'on-failure', MaximumRetryCount: 0 });
    expect(restartPolicy('no')).toEqual({ Name: 'no' });
  });
});

describe('max-size', () => {
  it('accepts unlimited or a number with a unit', () => {
    for (const v of ['unlimited', '10m', '1k', '2g', '500M']) expect(logMaxSizeProblem(v), v).toBeUndefined();
  });
  it('refuses a bare number, other units, zero and option-like words', () => {
    for (const v of ['10', '10mb', '0m', '-1m', '10 m', 'max-file=3', '']) expect(logMaxSizeProblem(v), v).toMatch(/^Invalid max-size/);
  });
  it('sets json-file max-size', () => {
    expect(logConfig('10m')).toEqual({ Type: 'json-file', Config: { 'max-size': '10m' } });
    expect(logConfig('unlimited')).toEqual({ Type: 'json-file', Config: {} });
  });
});

describe('procfile-path', () => {
  it('accepts a path inside the repository', () => {
    for (const v of ['Procfile', 'deploy/Procfile.prod']) expect(repoPathProblem(v), v).toBeUndefined();
  });
  it('refuses server paths and escapes', () => {
    for (const v of ['/etc/passwd', '../Procfile', 'a/../../b', 'a//b', './Procfile', 'dir/', '']) expect(repoPathProblem(v), v).toMatch(/^Invalid path /);
  });
});
