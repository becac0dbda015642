import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { parseRefUpdates, planPush, describeRef } from '../../../src/git/push.ts';
import { appFromRepoPath, ensureRepo, listBranches, renderPreReceiveHook } from '../../../src/git/repo.ts';
import { isBranchName } from '../../../src/state/settings-schema.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);
const up = (ref: string, old = A, next = B) => ({ old, new: next, ref });

describe('ref lines', () => {
  it('reads what git gives the pre-receive hook, and nothing else', () => {
    expect(parseRefUpdates(`${A} ${B} refs/heads/main\n${Z} ${A} refs/tags/v1\n`)).toEqual([up('refs/heads/main'), up('refs/tags/v1', Z, A)]);
    expect(parseRefUpdates('')).toEqual([]);
    for (const bad of [`${A} ${B}`, `${A} ${B} main`, `x ${B} refs/heads/main`, `${A} ${B} refs/heads/main; rm -rf /`]) {
      expect(() => parseRefUpdates(bad), bad).toThrow(UserError);
    }
  });
});

describe('planPush', () => {
  it('makes the first branch pushed the deploy branch when none is set', () => {
    expect(planPush([up('refs/tags/v1'), up('refs/heads/trunk'), up('refs/heads/main')], undefined)).toEqual({
      deployBranch: 'trunk',
      chosen: true,
      deploy: up('refs/heads/trunk'),
      stored: [up('refs/tags/v1'), up('refs/heads/main')],
    });
  });

  it('deploys only the deploy branch; other branches are stored', () => {
    expect(planPush([up('refs/heads/feature')], 'main')).toEqual({ deployBranch: 'main', chosen: false, stored: [up('refs/heads/feature')] });
    expect(planPush([up('refs/heads/feature'), up('refs/heads/main')], 'main').deploy).toEqual(up('refs/heads/main'));
  });

  it('does not choose a deleted branch, and has nothing to deploy for tags alone', () => {
    expect(planPush([up('refs/heads/old', A, Z)], undefined)).toEqual({ chosen: false, stored: [up('refs/heads/old', A, Z)] });
    expect(planPush([up('refs/tags/v1')], undefined).deploy).toBeUndefined();
  });

  it('names refs for people', () => {
    expect(describeRef('refs/heads/a/b')).toBe('branch a/b');
    expect(describeRef('refs/tags/v1')).toBe('tag v1');
    expect(describeRef('refs/notes/x')).toBe('refs/notes/x');
  });
});

describe('repository paths', () => {
  it('takes app, /app, app.git and /app.git', () => {
    for (const p of ['web', '/web', 'web.git', '/web.git']) expect(appFromRepoPath(p)).toBe('web');
  });
  it('refuses paths that leave the app: nested, parent, absolute elsewhere, bad names', () => {
    for (const p of ['../web', '/etc/passwd', 'a/b', '//web', '', '.git', 'Web', '-web', 'web/.git', '~/web']) {
      expect(() => appFromRepoPath(p), p).toThrow(UserError);
    }
  });
});

describe('branch names for deploy-branch', () => {
  it('accepts what git accepts in the usual alphabet', () => {
    for (const b of ['main', 'master', 'release/2026-01', 'feature_x', 'v1.2']) expect(isBranchName(b), b).toBe(true);
    for (const b of ['', '-x', '/x', 'x/', 'a..b', 'a//b', 'x.lock', 'a/.b', 'x.', '@', 'a@{b', 'a b', 'a~1', 'a:b', 'a;b']) {
      expect(isBranchName(b), b).toBe(false);
    }
  });
});

describe('the bare repository and its hook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-repo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs this program with git-hook and the app, quoted for sh', () => {
    const probe = join(dir, 'probe');
    writeFileSync(probe, '#!/bin/sh\nprintf "%s|" "$@"\n', { mode: 0o755 });
    const hook = join(dir, 'hook');
    writeFileSync(hook, renderPreReceiveHook([probe, '/opt/my dist/dokku.mjs'], 'web'), { mode: 0o755 });
    const r = spawnSync(hook, [], { encoding: 'utf8' });
    expect(r.stdout).toBe('/opt/my dist/dokku.mjs|git-hook|web|');
  });

  it('is made once, and the hook is rewritten only when its text changes', async () => {
    const repo = join(dir, 'web.git');
    expect(await ensureRepo(repo, renderPreReceiveHook(['/usr/bin/dokku'], 'web'))).toBe(true);
    expect(spawnSync('git', ['rev-parse', '--is-bare-repository'], { cwd: repo, encoding: 'utf8' }).stdout.trim()).toBe('true');
    expect(await ensureRepo(repo, renderPreReceiveHook(['/usr/bin/dokku'], 'web'))).toBe(false);
    await ensureRepo(repo, renderPreReceiveHook(['/usr/local/bin/dokku'], 'web'));
    const text = spawnSync('cat', [join(repo, 'hooks', 'pre-receive')], { encoding: 'utf8' }).stdout;
    expect(text).toContain("exec /usr/local/bin/dokku git-hook web");
    expect(await listBranches(repo)).toEqual({});
  });
});
