/**
 * Holes 7 and 8 through a real sshd: after an admin renames `x` away and makes a new `x` for bob,
 * bob's `events x` shows only the new x; a word with terminal escapes that bob sends is refused with
 * an escaped line, kept raw in the log, and shown escaped in the admin's `events`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_TRACE, TARGETS, errorLines, eventRows, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { makeKeyPair, startSshd, type KeyPair, type TestSshd } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-audit-ssh-');
const scratch = makeRoot('dokku-audit-ssh-keys-');
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;
let sshd: TestSshd;
let alice: KeyPair;
let bob: KeyPair;

beforeAll(async () => {
  requireDist();
  sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
  alice = makeKeyPair(scratch, 'alice');
  bob = makeKeyPair(scratch, 'bob');
  const ok = async (...words: string[]) => {
    const r = await runCli(compiled, root, words);
    expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
  };
  await ok('ssh-keys:add', 'alice', alice.pub);
  const added = await sshd.ssh(alice, 'ssh-keys:add bob', { input: readFileSync(bob.pub, 'utf8') });
  expect(added.code, added.stderr).toBe(0);
  for (const command of ['apps:create x', 'config:set --no-restart x OLD_SECRET_KEY=1', 'apps:rename x x-old', 'config:set --no-restart x-old AFTER_RENAME_KEY=1', 'apps:create x', 'acl:add x bob']) {
    const r = await sshd.ssh(alice, command);
    expect(r.code, `${command}: ${r.stderr}`).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  removeRoots();
});

describe('the audit log over SSH', () => {
  it("hole 7: bob's `events x` and `events` show only the x he holds, none of x-old's history", async () => {
    const named = await sshd.ssh(bob, 'events x --format json');
    expect(named.code, named.stderr).toBe(0);
    expect((JSON.parse(named.stdout) as Array<{ app: string; type: string }>).map((e) => [e.app, e.type])).toEqual([['x', 'AppCreated']]);
    const all = await sshd.ssh(bob, 'events');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('Created x');
    expect(all.stdout).not.toMatch(/OLD_SECRET_KEY|AFTER_RENAME_KEY|x-old|Added .*SSH key|Gave key/);
    // The admin still has x-old's history under the name x.
    const admin = await sshd.ssh(alice, 'events x');
    expect(admin.stdout).toContain('Renamed x to x-old');
  });

  it('hole 8: a word with terminal escapes is refused in one escaped line, kept raw, shown escaped to the admin', async () => {
    const word = '\x1b[2J\x1b[H\x07\u009b2K\x7f';
    const r = await sshd.ssh(bob, `config:set '${word}' A=1`);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    const { errors, others } = errorLines(r.stderr);
    expect(others).toEqual([]);
    expect(errors).toEqual([' !     Access denied for key bob: no access to app \\x1b[2J\\x1b[H\\x07\\x9b2K\\x7f']);
    const denied = eventRows(root).at(-1)!;
    expect(denied.type).toBe('AccessDenied');
    expect((JSON.parse(denied.data) as { app: string }).app).toBe(word);
    const shown = await sshd.ssh(alice, 'events -n 3');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(CONTROL);
    expect(shown.stdout).toContain('Refused config:set on \\x1b[2J\\x1b[H\\x07\\x9b2K\\x7f for key bob');
  });
});
