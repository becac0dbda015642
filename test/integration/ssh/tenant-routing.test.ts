/**
 * The routing holes as they were found, over a real sshd: a key given one app tries to catch
 * other names, map a port the host uses, and point its app at an ACME server of its own. Each is
 * refused with one line and only an AccessDenied event.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, eventRows, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { makeKeyPair, startSshd, type KeyPair, type TestSshd } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-tenant-ssh-');
const scratch = makeRoot('dokku-tenant-ssh-keys-');
const dokku = (...words: string[]) => runCli(compiled, root, words);
let sshd: TestSshd;
let bob: KeyPair;

beforeAll(async () => {
  requireDist();
  sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
  const alice = makeKeyPair(scratch, 'alice');
  bob = makeKeyPair(scratch, 'bob');
  expectOk(await dokku('ssh-keys:add', 'alice', alice.pub), 'ssh-keys:add alice');
  expectOk(await dokku('ssh-keys:add', 'bob', bob.pub), 'ssh-keys:add bob');
  for (const app of ['web', 'shop']) expectOk(await dokku('apps:create', app), `apps:create ${app}`);
  expectOk(await dokku('acl:add', 'web', 'bob'), 'acl:add');
  expectOk(await dokku('domains:add', 'shop', 'shop.example.com'), 'domains:add shop');
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  removeRoots();
});

describe('routing input from a tenant over SSH', () => {
  it.each([
    ['a wildcard', "domains:add web '*.example.com'", /^ ! {5}Access denied for key bob: \*\.example\.com: wildcard domains are for admin keys$/],
    ['localhost', 'domains:add web localhost', /^ ! {5}Access denied for key bob: localhost: localhost names are for admin keys$/],
    ["a name under another app's domain", 'domains:add web www.shop.example.com', /^ ! {5}Access denied for key bob: www\.shop\.example\.com is under a domain of another app$/],
    ["a parent of another app's domain", 'domains:add web example.com', /^ ! {5}Access denied for key bob: example\.com is a parent of a domain of another app$/],
    ['the port sshd held in the report', 'ports:set web http:2422:5000', /^ ! {5}Access denied for key bob: host port 2422: non-admin keys may map only ports 80 and 443$/],
    ['sshd\'s own port', 'ports:add web http:SSHD_PORT:5000', /^ ! {5}Access denied for key bob: host port \d+: non-admin keys may map only ports 80 and 443$/],
    ['its own ACME server', 'letsencrypt:set web server http://127.0.0.1:14000/directory', /^ ! {5}Access denied for key bob: the ACME server is set by an admin/],
  ])('%s is refused with one line and only AccessDenied', async (_name, command, line) => {
    const words = command.replace('SSHD_PORT', String(sshd.port));
    const before = eventRows(root).length;
    const r = await sshd.ssh(bob, words);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
    expect(eventRows(root).slice(before).map((e) => e.type)).toEqual(['AccessDenied']);
  });

  it('an ordinary name of its own is still added', async () => {
    const r = await sshd.ssh(bob, 'domains:add web www.bobs-own.example');
    expect(r.code, r.stderr).toBe(0);
    expect(eventRows(root).at(-1)!.type).toBe('DomainAdded');
  });
});
