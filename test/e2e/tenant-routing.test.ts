/**
 * Routing input from a non-admin key (a tenant: `NAME`/`FINGERPRINT` as the forced command sets
 * them, the words in SSH_ORIGINAL_COMMAND) and from an admin, as real processes: domains, port
 * mappings, the ACME server and domain grants. Each case asserts the exit code, one ` !     ` line,
 * nothing on stdout, and that the log gained exactly one AccessDenied (a tenant refusal) or
 * nothing at all (a user error), with every projection unchanged.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, errorLines, makeRoot, removeRoots, requireDist, runSync, STACK_TRACE, TARGETS, withDb, type RunResult } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';

const target = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-tenant-routing-');
const scratch = makeRoot('dokku-tenant-routing-keys-');
const dokku = bindCli(target, root);
let bob: KeyPair;
let held: Server;
let heldPort = 0;

/** Every projection row: a refusal must leave them all as they were. */
const stateRows = () =>
  withDb(root, (db) => {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('events', 'schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  });
const events = () => withDb(root, (db) => db.prepare('SELECT type, data FROM events ORDER BY position').all() as Array<{ type: string; data: string }>);

const asBob = (command: string): RunResult => runSync(target, root, [], { env: { NAME: 'bob', FINGERPRINT: bob.fingerprint, SSH_ORIGINAL_COMMAND: command } });

beforeAll(async () => {
  requireDist();
  const alice = makeKeyPair(scratch, 'alice');
  bob = makeKeyPair(scratch, 'bob');
  dokku.ok('ssh-keys:add', 'alice', alice.pub);
  dokku.ok('ssh-keys:add', 'bob', bob.pub);
  dokku.ok('apps:create', 'web');
  dokku.ok('apps:create', 'other');
  dokku.ok('acl:add', 'web', 'bob');
  dokku.ok('domains:set-global', 'apps.test');
  dokku.ok('domains:add', 'other', 'www.other.test', '*.wild.test');
  // A port something else on the host listens on (as sshd held 2422 in the report).
  held = createServer();
  await new Promise<void>((r) => held.listen(0, '0.0.0.0', r));
  heldPort = (held.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => held?.close(r));
  removeRoots();
});

type Who = 'bob' | 'admin';
interface Case {
  name: string;
  who: Who;
  command: string;
  /** 'denied': a tenant refusal (AccessDenied); otherwise the user error's text. */
  expect: 'denied' | RegExp;
}
const bobDenied = (name: string, command: string): Case => ({ name, who: 'bob', command, expect: 'denied' });
const bobError = (name: string, command: string, message: RegExp): Case => ({ name, who: 'bob', command, expect: message });
const adminError = (name: string, command: string, message: RegExp): Case => ({ name, who: 'admin', command, expect: message });

const INVALID_DOMAIN = /^Invalid domain '.*': /;
const INVALID_PORT = /^Invalid port mapping '.*': /;
const PRIVILEGED = /^Host port \d+ is refused: below 1024 only 80 and 443 are for apps/;

const CASES: Case[] = [
  // Hole 9: names that catch other apps' traffic.
  bobDenied('a wildcard', 'domains:add web *.example.com'),
  bobDenied('a wildcard over a global domain', 'domains:add web *.apps.test'),
  bobDenied('a wildcard through domains:set', 'domains:set web *.evil.test'),
  bobDenied('localhost', 'domains:add web localhost'),
  bobDenied('LOCALHOST in capitals', 'domains:add web LOCALHOST'),
  bobDenied('a name under localhost', 'domains:add web admin.localhost'),
  bobDenied("another app's domain (the claim names no app)", 'domains:add web a.www.other.test'),
  bobDenied("a parent of another app's domain", 'domains:add web other.test'),
  bobDenied("a name under another app's wildcard", 'domains:add web x.wild.test'),
  bobDenied("the base of another app's wildcard", 'domains:add web wild.test'),
  bobDenied("a name under another app's global name", 'domains:add web api.other.apps.test'),
  bobDenied('the global domain itself', 'domains:add web apps.test'),
  bobDenied('a future app\'s name under the global domain', 'domains:add web shop.apps.test'),
  bobDenied('a top-level parent of every app', 'domains:add web test'),
  bobDenied('a bad name after a good one adds neither', 'domains:add web fine-one.example.net *.example.net'),
  // Names refused to everyone (IP literals, syntax): a user error, no event.
  bobDenied("another app's exact domain", 'domains:add web www.other.test'),
  bobError('an IPv4 literal', 'domains:add web 127.0.0.1', INVALID_DOMAIN),
  bobError('a private IPv4 literal', 'domains:add web 10.0.0.1', INVALID_DOMAIN),
  bobError('a short IPv4 form', 'domains:add web 127.1', INVALID_DOMAIN),
  bobError('a hex IPv4 form', 'domains:add web 0x7f.0.0.1', INVALID_DOMAIN),
  bobError('an IPv6 literal', 'domains:add web ::1', INVALID_DOMAIN),
  bobError('a bracketed IPv6 literal', "domains:add web '[::1]'", INVALID_DOMAIN),
  bobError('an IPv4-mapped IPv6 literal', 'domains:add web ::ffff:127.0.0.1', INVALID_DOMAIN),
  bobError('a name of 300 characters', `domains:add web ${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.com`, INVALID_DOMAIN),
  bobError('a label of 64 characters', `domains:add web ${'a'.repeat(64)}.com`, INVALID_DOMAIN),
  bobError('a double dot', 'domains:add web a..example.com', INVALID_DOMAIN),
  bobError('a semicolon (nginx syntax)', "domains:add web 'example.com;'", INVALID_DOMAIN),
  bobError('a brace (nginx syntax)', "domains:add web 'x}example.com'", INVALID_DOMAIN),
  bobError('a tilde (nginx regex)', "domains:add web '~^.*$'", INVALID_DOMAIN),
  bobError('an underscore catch-all', 'domains:add web _', INVALID_DOMAIN),
  bobError('a wildcard in the middle', "domains:add web 'a.*.example.com'", INVALID_DOMAIN),

  // Hole 5: port mappings.
  bobDenied('a tenant on 8080', 'ports:set web http:8080:5000'),
  bobDenied('a tenant on the port sshd held in the report', 'ports:set web http:2422:5000'),
  bobDenied('a tenant on 22', 'ports:add web http:22:5000'),
  bobDenied('a tenant on an https side port', 'ports:add web https:8443:5000'),
  bobDenied('a tenant on 65535', 'ports:add web http:65535:5000'),
  bobDenied('a tenant with one bad port among good ones', 'ports:set web http:80:5000 http:9000:5000'),
  bobError('a tenant with an invalid mapping', 'ports:set web http:80', INVALID_PORT),
  adminError('port 22', 'ports:set web http:22:5000', PRIVILEGED),
  adminError('port 25', 'ports:add web http:25:5000', PRIVILEGED),
  adminError('port 1023', 'ports:set web https:1023:5000', PRIVILEGED),
  adminError('port 1', 'ports:set web http:1:5000', PRIVILEGED),
  adminError('port 0', 'ports:set web http:0:5000', INVALID_PORT),
  adminError('port 65536', 'ports:set web http:65536:5000', INVALID_PORT),
  adminError('a negative port', 'ports:set web http:-1:5000', INVALID_PORT),
  adminError('a hex port', 'ports:set web http:0x50:5000', INVALID_PORT),
  adminError('a scheme other than http(s)', 'ports:set web ftp:21:5000', INVALID_PORT),
  adminError('four fields', 'ports:set web http:80:5000:1', INVALID_PORT),
  adminError('a port of 6 digits', 'ports:set web http:808080:5000', INVALID_PORT),

  // Hole 3: the ACME server is an admin's to choose.
  bobDenied('a tenant pointing the app at its own ACME server', 'letsencrypt:set web server http://127.0.0.1:14000/directory'),
  bobDenied('a tenant with a file: ACME server', 'letsencrypt:set web server file:///etc/shadow'),
  bobDenied('a tenant resetting the ACME server', 'letsencrypt:set web server'),
  bobDenied('a tenant setting the global ACME server', 'letsencrypt:set --global server http://127.0.0.1:14000/directory'),

  // acl:set: an admin command, with its own validation.
  bobDenied('a tenant granting itself a domain', 'acl:set bob domains example.com'),
  adminError('a wildcard grant', "acl:set bob domains '*.x.test'", /^A domain grant is a suffix, not a wildcard: use x\.test/),
  adminError('an invalid grant', 'acl:set bob domains a..b', INVALID_DOMAIN),
  adminError('an IP grant', 'acl:set bob domains 127.0.0.1', INVALID_DOMAIN),
  adminError('a grant to an admin key', 'acl:set alice domains x.test', /^Key alice is an admin key: it may already add any domain$/),
  adminError('a grant to no key', 'acl:set nobody domains x.test', /^No key named nobody: see ssh-keys:list$/),
  adminError('an unknown property', 'acl:set bob colour blue', /^Unknown ACL property 'colour': the one property is domains/),
];

/** The admin's word list for a command string (the test strings hold no quoted spaces). */
const words = (command: string): string[] => command.split(' ').map((w) => w.replace(/^'(.*)'$/, '$1'));

it('the table holds at least 40 cases, each named once', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

describe('hostile routing input', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const beforeState = stateRows();
    const beforeEvents = events();
    const r = c.who === 'bob' ? asBob(c.command) : dokku(...words(c.command));
    const { errors, others } = errorLines(r.stderr);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(errors, r.stderr).toHaveLength(1);
    expect(others, r.stderr).toEqual([]);
    const after = events();
    expect(stateRows()).toBe(beforeState);
    expect(after.slice(0, beforeEvents.length)).toEqual(beforeEvents);
    if (c.expect === 'denied') {
      expect(errors[0]).toMatch(/^ ! {5}Access denied for key bob: /);
      expect(after.slice(beforeEvents.length).map((e) => e.type)).toEqual(['AccessDenied']);
    } else {
      expect(errors[0]!.slice(7)).toMatch(c.expect);
      expect(after).toHaveLength(beforeEvents.length);
    }
  });

  it('an admin may not map a port something else on the host listens on', () => {
    const before = events().length;
    const r = dokku('ports:set', 'web', `http:${heldPort}:5000`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(` !     Port ${heldPort} is already in use on this host: nginx could not listen on it (choose another host port)\n`);
    expect(events()).toHaveLength(before);
  });
});

describe('what a tenant and an admin may still do', () => {
  it('a tenant adds an ordinary name, maps 80, and removes its own names', () => {
    expect(asBob('domains:add web www.bobs-shop.example').code).toBe(0);
    expect(asBob('ports:set web http:80:5000').code).toBe(0);
    expect(asBob('domains:remove web www.bobs-shop.example').code).toBe(0);
  });

  it('an admin adds a wildcard, a free side port, and sets a per-app ACME server', () => {
    dokku.ok('domains:add', 'other', '*.admin-only.test');
    dokku.ok('ports:set', 'other', 'http:18080:5000');
    dokku.ok('letsencrypt:set', 'other', 'server', 'https://acme.example.test/directory');
  });

  it('a domain grant limits the tenant to names under it, and shows in acl:list', () => {
    expect(dokku.ok('acl:set', 'bob', 'domains', 'bob.example,shop.example')).toContain('Key bob may add domains under bob.example, shop.example');
    expect(dokku.ok('acl:list')).toContain('Key bob may add domains under: bob.example shop.example');
    expect(JSON.parse(dokku.ok('acl:list', '--format', 'json')).domains).toEqual([{ key: 'bob', domains: ['bob.example', 'shop.example'] }]);
    expect(asBob('domains:add web www.bob.example shop.example').code).toBe(0);
    const before = events().length;
    const r = asBob('domains:add web www.elsewhere.example');
    expect(r.stderr).toBe(' !     Access denied for key bob: www.elsewhere.example is not under the domains granted to this key (bob.example, shop.example)\n');
    expect(events().slice(before).map((e) => e.type)).toEqual(['AccessDenied']);
    // A grant does not open what no tenant may add.
    expect(asBob('domains:add web *.bob.example').code).toBe(1);
    dokku.ok('acl:set', 'bob', 'domains');
    expect(dokku.ok('acl:list')).not.toContain('may add domains under');
    expect(asBob('domains:add web www.elsewhere.example').code).toBe(0);
  });

  it('removing the key removes its grant', () => {
    dokku.ok('acl:set', 'bob', 'domains', 'bob.example');
    dokku.ok('ssh-keys:remove', 'bob');
    dokku.ok('ssh-keys:add', 'bob', bob.pub);
    expect(JSON.parse(dokku.ok('acl:list', '--format', 'json')).domains).toEqual([]);
  });
});
