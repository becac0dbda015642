import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import {
  decideAccess,
  validateKeyName,
  type AccessCommand,
  type AccessState,
  type ParsedKey,
} from '../../../src/state/access-decider.ts';
import { findKeyByFingerprint, hasGrant, listKeys, loadAccessState } from '../../../src/state/access-queries.ts';
import { openDatabase } from '../../../src/state/db.ts';
import { ACCESS_STREAM, appStream, type DomainEvent } from '../../../src/state/events.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { PROJECTION_TABLES } from '../../../src/state/projections.ts';
import { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

const key = (n: number): ParsedKey => ({ keyType: 'ssh-ed25519', publicKey: `ssh-ed25519 AAAA${n}`, fingerprint: `SHA256:fp${n}` });

const opened: EventStore[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.db.close();
});

/**
 * Decides each command on the state the projections hold after the earlier ones, and records it,
 * as the command path does; in a fresh store unless given one to go on in.
 */
async function run(commands: AccessCommand[], on?: EventStore): Promise<{ state: AccessState; events: DomainEvent[]; store: EventStore }> {
  const store = on ?? (await memoryStore());
  if (!on) opened.push(store);
  const events: DomainEvent[] = [];
  for (const c of commands) {
    const out = decideAccess(c, loadAccessState(store.db));
    if (out.length) store.append(ACCESS_STREAM, store.version(ACCESS_STREAM), out, 't');
    events.push(...out);
  }
  return { state: loadAccessState(store.db), events, store };
}

const refused = async (commands: AccessCommand[], last: AccessCommand): Promise<string> => {
  const { state } = await run(commands);
  try {
    decideAccess(last, state);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('access decider', () => {
  it('makes the first key an admin, and later keys admins only when asked', async () => {
    const { events } = await run([
      { type: 'ssh-keys:add', name: 'alice', key: key(1), admin: false },
      { type: 'ssh-keys:add', name: 'bob', key: key(2), admin: false },
      { type: 'ssh-keys:add', name: 'carol', key: key(3), admin: true },
    ]);
    expect(events.map((e) => (e.data as { admin: boolean }).admin)).toEqual([true, false, true]);
  });

  it('refuses a second key of the same name or of the same fingerprint', async () => {
    const alice = { type: 'ssh-keys:add', name: 'alice', key: key(1), admin: false } as const;
    expect(await refused([alice], { ...alice, key: key(2) })).toBe('A key named alice already exists');
    expect(await refused([alice], { ...alice, name: 'alice2' })).toBe('This key is already added, as alice (SHA256:fp1)');
  });

  it('grants apps to non-admin keys only, once, and revokes what was granted', async () => {
    const base: AccessCommand[] = [
      { type: 'ssh-keys:add', name: 'alice', key: key(1), admin: false },
      { type: 'ssh-keys:add', name: 'bob', key: key(2), admin: false },
    ];
    const grant: AccessCommand = { type: 'acl:add', key: 'bob', app: 'web', appId: 'id-web' };
    const { state, events } = await run([...base, grant]);
    expect(events.at(-1)).toEqual({ type: 'AccessGranted', data: { key: 'bob', app: 'web', appId: 'id-web' } });
    expect(decideAccess(grant, state)).toEqual([]);
    expect(await refused(base, { type: 'acl:add', key: 'alice', app: 'web', appId: 'id-web' })).toMatch(/admin key/);
    expect(await refused(base, { type: 'acl:add', key: 'nobody', app: 'web', appId: 'id-web' })).toMatch(/No key named nobody/);
    expect(await refused(base, { type: 'acl:remove', key: 'bob', app: 'web', appId: 'id-web' })).toBe('Key bob has no access to web');
    expect(decideAccess({ type: 'acl:remove', key: 'bob', app: 'web', appId: 'id-web' }, state)).toEqual([
      { type: 'AccessRevoked', data: { key: 'bob', app: 'web', appId: 'id-web' } },
    ]);
  });

  it('removes a key by name or fingerprint, and its grants with it', async () => {
    const { state, store } = await run([
      { type: 'ssh-keys:add', name: 'alice', key: key(1), admin: false },
      { type: 'ssh-keys:add', name: 'bob', key: key(2), admin: false },
      { type: 'acl:add', key: 'bob', app: 'web', appId: 'id-web' },
      { type: 'ssh-keys:remove', fingerprint: 'SHA256:fp2' },
    ]);
    expect(state.keys.map((k) => k.name)).toEqual(['alice']);
    expect(state.grants).toEqual({});
    // The same name again is a new key with no grants.
    const again = (await run([{ type: 'ssh-keys:add', name: 'bob', key: key(2), admin: false }], store)).state;
    expect(again.grants.bob ?? []).toEqual([]);
    expect(() => decideAccess({ type: 'ssh-keys:remove', name: 'zed' }, state)).toThrow('No key named zed');
  });

  it('holds key names to a strict alphabet (they end up in a shell command line)', () => {
    for (const ok of ['alice', 'bob.smith@work', 'ci_deploy-2', 'A', 'x'.repeat(64)]) expect(validateKeyName(ok)).toBe(ok);
    for (const bad of ['', '-rf', 'a b', 'a"b', "a'b", 'a;b', 'a$b', 'a`b', 'a\nb', 'x'.repeat(65), 'ключ', 'a/b', 'a=b']) {
      expect(() => validateKeyName(bad), JSON.stringify(bad)).toThrow(UserError);
    }
  });
});

describe('access projections', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agree with the decider, drop grants of destroyed apps, and rebuild to the same rows', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dokku-access-'));
    const db = await openDatabase(join(dir, 'dokku.db'));
    migrate(db);
    const store = new EventStore(db);
    const add = (events: DomainEvent[]) => store.append(ACCESS_STREAM, store.version(ACCESS_STREAM), events, 'root');
    store.append(appStream('id-web'), 0, [{ type: 'AppCreated', data: { name: 'web' } }], 'root');
    store.append(appStream('id-api'), 0, [{ type: 'AppCreated', data: { name: 'api' } }], 'root');
    add((await run([
      { type: 'ssh-keys:add', name: 'alice', key: key(1), admin: false },
      { type: 'ssh-keys:add', name: 'bob', key: key(2), admin: false },
      { type: 'acl:add', key: 'bob', app: 'web', appId: 'id-web' },
      { type: 'acl:add', key: 'bob', app: 'api', appId: 'id-api' },
    ])).events);
    expect(listKeys(db).map((k) => [k.name, k.admin, k.apps])).toEqual([['alice', true, []], ['bob', false, ['api', 'web']]]);
    expect(findKeyByFingerprint(db, 'SHA256:fp2')).toEqual({ name: 'bob', fingerprint: 'SHA256:fp2', admin: false });
    store.append(appStream('id-api'), 1, [{ type: 'AppDestroyed', data: { name: 'api' } }], 'root');
    expect(hasGrant(db, 'bob', 'id-api')).toBe(false);
    expect(hasGrant(db, 'bob', 'id-web')).toBe(true);
    add([{ type: 'AccessDenied', data: { key: 'bob', fingerprint: 'SHA256:fp2', command: 'ssh-keys:list', reason: 'admin' } }]);
    expect(loadAccessState(db)).toEqual({
      keys: expect.arrayContaining([{ name: 'alice', fingerprint: 'SHA256:fp1', admin: true }, { name: 'bob', fingerprint: 'SHA256:fp2', admin: false }]),
      grants: { bob: ['id-web'] },
      serviceGrants: {},
    });
    const dump = () => Object.fromEntries(PROJECTION_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));
    const before = dump();
    store.rebuildProjections();
    expect(dump()).toEqual(before);
    db.close();
  });
});
