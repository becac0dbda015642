import { spawnSync } from 'node:child_process';
import { chownSync, chmodSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DIST_BIN, eventRows, makeRoot, removeRoots, requireDist, runSync, TARGETS } from '../helpers/cli.ts';

/**
 * Run by root against a DOKKU_ROOT another user owns (the installed layout: /home/dokku is the dokku
 * user's), the compiled binary becomes that user before it touches anything, so no file there is
 * root's and the owner's next command (every SSH call) can write what root's command made.
 */

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const asRoot = process.getuid?.() === 0;
const user = `dk-own-${process.pid % 100000}`;
let uid = -1;
let gid = -1;

beforeAll(() => {
  requireDist();
  // useradd and runuser need root; CI and this project's machines run the tests as root.
  if (!asRoot) throw new Error('run-as-owner tests need root (useradd, runuser)');
  spawnSync('userdel', [user]);
  const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', user], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`useradd failed: ${made.stderr}`);
  uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
});

afterAll(() => {
  removeRoots();
  if (asRoot) spawnSync('userdel', [user]);
});

function ownedRoot(): string {
  const root = makeRoot('dokku-owner-');
  chownSync(root, uid, gid);
  chmodSync(root, 0o755);
  return root;
}

/** Every path under `dir` whose owner is not `uid`. */
function notOwnedBy(dir: string, owner: number): string[] {
  const wrong: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.uid !== owner) wrong.push(path);
    if (stat.isDirectory()) wrong.push(...notOwnedBy(path, owner));
  }
  return wrong;
}

/** The compiled binary run as the root's owner, as sshd's forced command runs it. */
function asOwner(root: string, words: string[]) {
  const r = spawnSync('runuser', ['-u', user, '--', DIST_BIN, ...words], { env: childEnv(root), encoding: 'utf8', input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('run by root', () => {
  it('leaves every file under DOKKU_ROOT to its owner, and the owner can change them next', () => {
    const root = ownedRoot();
    const root$ = (...words: string[]) => runSync(compiled, root, words);
    for (const words of [
      ['apps:create', 'web'],
      ['config:set', 'web', 'A=1', '--no-restart'],
      ['domains:add', 'web', 'web.example.com'],
      ['certs:generate', 'web', 'web.example.com'],
    ]) {
      const r = root$(...words);
      expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(notOwnedBy(root, uid)).toEqual([]);
    expect(readdirSync(root)).toEqual(expect.arrayContaining(['dokku.db', 'certs']));

    // What root made, the owner changes: no EACCES on the database or the certificate files.
    for (const words of [
      ['certs:remove', 'web'],
      ['config:set', 'web', 'B=2', '--no-restart'],
    ]) {
      const r = asOwner(root, words);
      expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(root$('config:get', 'web', 'B').stdout).toBe('2\n');

    // The actor is who typed the command.
    const actors = eventRows(root).map((e) => `${e.actor} ${e.type}`);
    expect(actors).toEqual(expect.arrayContaining(['root AppCreated', 'root CertAdded', `${user} CertRemoved`, `${user} ConfigSet`]));
  });

  it('reads a file it names as the owner: a root-only file is refused in one line, nothing recorded', () => {
    const root = ownedRoot();
    expect(runSync(compiled, root, ['apps:create', 'web']).code).toBe(0);
    const secret = join(makeRoot('dokku-owner-files-'), 'server.crt');
    writeFileSync(secret, 'not a certificate', { mode: 0o600 });
    const before = eventRows(root).length;
    const r = runSync(compiled, root, ['certs:add', 'web', secret, secret]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ !     Cannot read .*server\\.crt.*: permission denied to ${user}; give it on stdin instead\\n$`));
    expect(eventRows(root).length).toBe(before);
  });

  it('leaves a root-owned DOKKU_ROOT as it is', () => {
    const root = makeRoot('dokku-owner-root-');
    expect(runSync(compiled, root, ['apps:create', 'web']).code).toBe(0);
    expect(lstatSync(join(root, 'dokku.db')).uid).toBe(0);
  });
});
