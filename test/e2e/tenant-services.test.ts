/**
 * A key given a service (acl:add-service) is still a tenant: run as the SSH forced command runs it,
 * against the compiled binary. It may link the service only to its own apps, and it may not have a
 * shell in the service (`enter`, or `connect`, whose clients can run shell commands) while the
 * service is also linked to an app it does not hold: the container is on that app's network. Each
 * refusal is one line, exit 1, and one AccessDenied event.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appStream, serviceStream } from '../../src/state/events.ts';
import { openStateDatabase } from '../../src/state/open.ts';
import { EventStore } from '../../src/state/store.ts';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, runSync, TARGETS, withDb } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-tenant-services-');
const cli = bindCli(compiled, root);
let bob: KeyPair;
const ENV = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const asBob = (words: string) => runSync(compiled, root, [], { env: { ...ENV, NAME: 'bob', FINGERPRINT: bob.fingerprint, SSH_ORIGINAL_COMMAND: words } });

beforeAll(async () => {
  requireDist();
  const keys = makeRoot('dokku-tenant-services-keys-');
  cli.ok('ssh-keys:add', 'admin', makeKeyPair(keys, 'admin').pub);
  bob = makeKeyPair(keys, 'bob');
  cli.ok('ssh-keys:add', 'bob', bob.pub);
  cli.ok('apps:create', 'bobs-app');
  cli.ok('apps:create', 'someone-else');
  cli.ok('acl:add', 'bobs-app', 'bob');
  // Recorded as postgres:create and an admin's postgres:link record them (no Docker here).
  const store = new EventStore(await openStateDatabase(join(root, 'dokku.db')));
  for (const [id, name] of [['s-own', 'own-db'], ['s-shared', 'shared-db']] as const) {
    store.append(serviceStream(id), 0, [{ type: 'ServiceCreated', data: { kind: 'postgres', name, image: 'dokku/postgres:15', password: 'tenantpw1' } }], 'admin');
  }
  const other = withDb(root, (db) => (db.prepare("SELECT id FROM apps WHERE name = 'someone-else'").get() as { id: string }).id);
  store.append(appStream(other), store.version(appStream(other)), [{ type: 'ServiceLinked', data: { serviceId: 's-shared', kind: 'postgres', name: 'shared-db', alias: 'DATABASE' } }], 'admin');
  store.db.close();
  cli.ok('acl:add-service', 'postgres', 'own-db', 'bob');
  cli.ok('acl:add-service', 'postgres', 'shared-db', 'bob');
});
afterAll(removeRoots);

function expectRefused(words: string, reason: RegExp): void {
  const before = eventRows(root).length;
  const r = asBob(words);
  expect([r.code, r.stdout], words).toEqual([1, '']);
  expect(r.stderr.trimEnd().split('\n'), words).toEqual([expect.stringMatching(reason)]);
  expect(eventRows(root).slice(before).map((e) => e.type), words).toEqual(['AccessDenied']);
}

describe('a key given a service', () => {
  it('may not link it to an app it does not hold', () => {
    expectRefused('postgres:link own-db someone-else', /^ !     Access denied for key bob: no access to app someone-else$/);
  });

  it('may not have a shell in a service linked to an app it does not hold', () => {
    expectRefused('postgres:enter shared-db sh', /^ !     Access denied for key bob: postgres service shared-db is also linked to apps this key does not hold$/);
    expectRefused('postgres:connect shared-db', /^ !     Access denied for key bob: postgres service shared-db is also linked to apps this key does not hold$/);
  });

  it('may enter its own service (refused here only because no Docker answers, not for access)', () => {
    const before = eventRows(root).length;
    const r = asBob('postgres:enter own-db sh');
    expect(r.stderr).not.toMatch(/Access denied/);
    expect(eventRows(root).slice(before).map((e) => e.type)).toEqual([]);
  });

  it('sees only its own apps among the service\'s links', () => {
    expect(asBob('postgres:links shared-db').stdout).toBe('');
    expect(cli.ok('postgres:links', 'shared-db')).toBe('someone-else\n');
  });

  it('may not see the service list or another key\'s grants', () => {
    expectRefused('postgres:list', /^ !     Access denied for key bob: postgres:list is an admin command, for admin keys only$/);
    expectRefused('acl:list-service postgres own-db', /^ !     Access denied for key bob: acl:list-service is an admin command, for admin keys only$/);
  });
});
