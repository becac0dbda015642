/**
 * Keys and per-app access through a real sshd: an admin key and a key given one app, refusals that
 * append only their own audit event, removal taking effect in sshd at once, and SSH command strings
 * whose shell characters are only characters: nothing but dokku runs. The last suite does the same push with the Node bundle as
 * the forced command and the hook (`node dist/dokku.mjs`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, eventRows, makeRoot, projectionRows, removeRoots, requireDist, run as runCli, withDb, type Target } from '../../helpers/cli.ts';
import { expectOk, FIXTURES, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, startSshd, workTree, type KeyPair, type TestSshd, type WorkTree } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const node = TARGETS.find((t) => t.name === 'node')!;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

let sshd: TestSshd;
const rootA = makeRoot('dokku-acl-');
const rootB = makeRoot('dokku-acl-node-');
const scratch = makeRoot('dokku-acl-keys-');
const created: Array<[Target, string, string]> = [];

beforeAll(async () => {
  requireDist();
  await connectDocker();
  // One sshd reads both roots' projections: the compiled binary's and the Node bundle's.
  sshd = await startSshd([join(rootA, '.ssh', 'authorized_keys'), join(rootB, '.ssh', 'authorized_keys')]);
  expectOk(await runCli(compiled, rootA, ['stack:build']), 'stack:build');
}, 900_000);

afterAll(async () => {
  for (const [target, root, app] of created) await runCli(target, root, ['apps:destroy', app, '--force']);
  await sshd?.stop();
  removeRoots();
}, 120_000);

describe('per-app access over SSH', () => {
  const dokku = (...words: string[]) => runCli(compiled, rootA, words);
  const web = uniqueName('acl-web');
  const other = uniqueName('acl-other');
  let alice: KeyPair;
  let bob: KeyPair;
  let tree: WorkTree;
  const push = (key: KeyPair, app: string) => run('git', ['push', sshd.remote(app), 'main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(key) } });

  beforeAll(async () => {
    alice = makeKeyPair(scratch, 'alice');
    bob = makeKeyPair(scratch, 'bob');
    expectOk(await dokku('ssh-keys:add', 'alice', alice.pub), 'ssh-keys:add alice');
    // Keys are added over SSH too: the admin pipes the new key in.
    const added = await sshd.ssh(alice, 'ssh-keys:add bob', { input: readFileSync(bob.pub, 'utf8') });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Added key bob');
    for (const app of [web, other]) {
      const r = await sshd.ssh(alice, `apps:create ${app}`);
      expect(r.code, r.stderr).toBe(0);
      created.push([compiled, rootA, app]);
    }
    tree = await workTree(join(FIXTURES, 'procfile'), join(scratch, 'procfile'));
    await tree.commit('procfile sample');
  }, 120_000);

  it('keys are listed with their role; the projection has one forced command per key', async () => {
    const list = JSON.parse((await sshd.ssh(alice, 'ssh-keys:list --format json')).stdout) as Array<{ name: string; admin: boolean; fingerprint: string }>;
    expect(list.map((k) => [k.name, k.admin, k.fingerprint])).toEqual([
      ['alice', true, alice.fingerprint],
      ['bob', false, bob.fingerprint],
    ]);
    const lines = readFileSync(join(rootA, '.ssh', 'authorized_keys'), 'utf8').split('\n').filter((l) => l.startsWith('command='));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^command="NAME=bob FINGERPRINT=${bob.fingerprint.replace(/[+/]/g, '\\$&')} DOKKU_ROOT=${rootA}( [A-Z_]+=\\S+)* exec ${compiled.command}",no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-user-rc ssh-ed25519 `));
  });

  it('a key without access is refused, for push and config:set alike, and only the refusal is recorded', async () => {
    const before = projectionRows(rootA);
    const eventsBefore = eventRows(rootA).length;
    const refusals: Array<[string, RegExp]> = [
      [`config:set ${web} A=1`, new RegExp(`no access to app ${web}`)],
      [`config:set --global A=1`, /config:set is a --global change, for admin keys only/],
      [`apps:create ${uniqueName('acl-new')}`, /apps:create is an admin command/],
      [`apps:destroy ${web} --force`, /apps:destroy is an admin command/],
      [`acl:add ${web} bob`, /acl:add is an admin command/],
      ['ssh-keys:list', /ssh-keys:list is an admin command/],
      ['stack:build', /stack:build is an admin command/],
      ['events:verify', /events:verify is not tied to one app/],
      [`logs ${other}`, new RegExp(`no access to app ${other}`)],
    ];
    for (const [command, message] of refusals) {
      const r = await sshd.ssh(bob, command);
      expect(r.code, command).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), command).toEqual([expect.stringMatching(/^ !     Access denied for key bob: /)]);
      expect(r.stderr, command).toMatch(message);
      expect(r.stdout, command).toBe('');
    }
    const pushed = await push(bob, web);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain(`Access denied for key bob: no access to app ${web}`);
    const newApp = uniqueName('acl-auto');
    const autoCreate = await push(bob, newApp);
    expect(autoCreate.code).not.toBe(0);
    expect(existsSync(join(rootA, `${newApp}.git`))).toBe(false);

    expect(projectionRows(rootA)).toBe(before);
    const added = eventRows(rootA).slice(eventsBefore);
    expect(added.map((e) => [e.type, e.stream, e.actor])).toEqual(Array(refusals.length + 2).fill(['AccessDenied', 'access', 'bob']));
    expect(JSON.parse(added.at(-2)!.data)).toEqual({ key: 'bob', fingerprint: bob.fingerprint, command: 'git-receive-pack', app: web, reason: `no access to app ${web}` });
    const audit = (await dokku('events', '-n', '3')).stdout;
    expect(audit).toContain(`Refused git-receive-pack on ${newApp} for key bob: no access to app ${newApp}`);
  }, 120_000);

  it('acl:add lets the key act on that app only, pushes included; acl:remove takes it back', async () => {
    const granted = await sshd.ssh(alice, `acl:add ${web} bob`);
    expect(granted.code, granted.stderr).toBe(0);
    expect(JSON.parse((await sshd.ssh(alice, `acl:list ${web} --format json`)).stdout)).toEqual({ grants: [{ app: web, key: 'bob' }], admins: ['alice'] });

    const set = await sshd.ssh(bob, `config:set ${web} MESSAGE=from-bob --no-restart`);
    expect(set.code, set.stderr).toBe(0);
    const list = await sshd.ssh(bob, 'apps:list --format json');
    expect(JSON.parse(list.stdout)).toEqual([web]);

    const pushed = await push(bob, web);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain('Application deployed');
    expect(await get(upstreamOf(rootA, web)!)).toContain('procfile sample: MESSAGE=from-bob');
    const actors = withDb(rootA, (db) => db.prepare("SELECT DISTINCT type, actor FROM events WHERE type IN ('ConfigSet', 'BuildStarted', 'ReleaseCreated', 'AccessGranted') ORDER BY type").all());
    expect(actors).toEqual([
      { type: 'AccessGranted', actor: 'alice' },
      { type: 'BuildStarted', actor: 'bob' },
      { type: 'ConfigSet', actor: 'bob' },
      { type: 'ReleaseCreated', actor: 'bob' },
    ]);
    expect((await sshd.ssh(bob, `config:set ${other} A=1`)).code).toBe(1);

    expect((await sshd.ssh(alice, `acl:remove ${web} bob`)).code).toBe(0);
    const after = await sshd.ssh(bob, `config:get ${web} MESSAGE`);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain(`no access to app ${web}`);
  }, 300_000);

  it('ssh-keys:remove takes effect in sshd at once', async () => {
    expect((await sshd.ssh(bob, 'apps:list')).code).toBe(0);
    const removed = await sshd.ssh(alice, `ssh-keys:remove --fingerprint ${bob.fingerprint}`);
    expect(removed.code, removed.stderr).toBe(0);
    const r = await sshd.ssh(bob, 'apps:list');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('shell characters in a command string are plain characters: only dokku runs, on the literal words', async () => {
    const canary = join(scratch, 'canary');
    const before = JSON.stringify(eventRows(rootA)) + projectionRows(rootA);
    for (const [command, message] of [
      [`apps:list; touch ${canary}`, /^ !     `apps:list;` is not a dokku command/],
      [`apps:list && touch ${canary}`, /^ !     Unused args: `&&`, `touch`, /],
      [`apps:list || touch ${canary}`, /^ !     Unused args: `\|\|`, `touch`, /],
      [`apps:list | tee ${canary}`, /^ !     Unused args: `\|`, `tee`, /],
      [`apps:create $(touch ${canary})`, /^ !     Unused args: `.*canary\)`$/],
      [`apps:create \`touch ${canary}\``, /^ !     Unused args: `.*canary`/],
      [`apps:create 'x;touch ${canary}'`, /^ !     Invalid app name 'x;touch /],
      [`apps:list > ${canary}`, /^ !     Unused args: `>`, /],
      [`apps:list\ntouch ${canary}`, /^ !     Refusing command: a line break at character 10/],
      [`config:set ${web} 'A=unterminated`, /^ !     Refusing command: an unterminated single quote/],
      [`config:set ${web} "A=unterminated`, /^ !     Refusing command: an unterminated double quote/],
    ] as const) {
      const r = await sshd.ssh(alice, command);
      expect(r.code, command).not.toBe(0);
      expect(r.stdout, command).toBe('');
      expect(r.stderr.split('\n')[0], command).toMatch(message);
      expect(r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('Usage: ')), command).toHaveLength(1);
    }
    expect(existsSync(canary)).toBe(false);
    expect(JSON.stringify(eventRows(rootA)) + projectionRows(rootA)).toBe(before);
    // In values they are kept exactly as typed, quoted or not, and nothing runs.
    const url = 'postgres://u:p@h/db?sslmode=require&pool=5';
    const set = await sshd.ssh(alice, `config:set ${web} 'DATABASE_URL=${url}' PRICE=$5 "B=$(touch ${canary})" C=a&b --no-restart`);
    expect(set.code, set.stderr).toBe(0);
    expect((await sshd.ssh(alice, `config:get ${web} DATABASE_URL`)).stdout).toBe(`${url}\n`);
    expect((await sshd.ssh(alice, `config:get ${web} PRICE`)).stdout).toBe('$5\n');
    expect((await sshd.ssh(alice, `config:get ${web} B`)).stdout).toBe(`$(touch ${canary})\n`);
    expect((await sshd.ssh(alice, `config:get ${web} C`)).stdout).toBe('a&b\n');
    const quoted = await sshd.ssh(alice, `config:set ${web} 'A=$(touch ${canary}); echo "hi"' --no-restart`);
    expect(quoted.code, quoted.stderr).toBe(0);
    expect((await sshd.ssh(alice, `config:get ${web} A`)).stdout).toBe(`$(touch ${canary}); echo "hi"\n`);
    expect(existsSync(canary)).toBe(false);
  });
});

describe('the Node bundle as the forced command and the hook', () => {
  const app = uniqueName('acl-nodejs');

  it('a key added by `node dist/dokku.mjs` pushes and deploys through it', async () => {
    const carol = makeKeyPair(scratch, 'carol');
    expectOk(await runCli(node, rootB, ['ssh-keys:add', 'carol', carol.pub]), 'ssh-keys:add');
    const line = readFileSync(join(rootB, '.ssh', 'authorized_keys'), 'utf8');
    expect(line).toContain(`exec ${node.command} ${node.args[0]}"`);
    const tree = await workTree(join(FIXTURES, 'procfile'), join(scratch, 'node-procfile'));
    await tree.commit('procfile sample');
    created.push([node, rootB, app]);
    const r = await run('git', ['push', sshd.remote(app), 'main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(carol) } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Application deployed');
    const hook = readFileSync(join(rootB, `${app}.git`, 'hooks', 'pre-receive'), 'utf8');
    expect(hook).toContain(`exec ${node.command} ${node.args[0]} git-hook ${app}`);
    expect(await get(upstreamOf(rootB, app)!)).toContain('procfile sample');
  }, 300_000);
});
