/**
 * Storage entries and the tenant rule on the compiled binary, as the SSH forced command runs it:
 * a key mounts its own app's entries (by name or by their path), never another app's, an admin's,
 * a raw host path or a name that leads out of the storage root. No Docker: mounts are run settings.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, runSync, TARGETS, type RunResult } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-storage-e2e-');
const cli = bindCli(compiled, root);
const storage = join(root, 'lib', 'data', 'storage');
let bob: KeyPair;

const asBob = (words: string): RunResult => runSync(compiled, root, [], { env: { NAME: 'bob', FINGERPRINT: bob.fingerprint, SSH_ORIGINAL_COMMAND: words } });
const mounts = (app: string) => JSON.parse(cli.ok('storage:list', app, '--format', 'json')) as Array<{ host_path: string; container_path: string }>;

beforeAll(() => {
  requireDist();
  const keys = makeRoot('dokku-storage-keys-');
  // The first key is the admin's; bob's is a tenant's.
  cli.ok('ssh-keys:add', 'alice', makeKeyPair(keys, 'alice').pub);
  bob = makeKeyPair(keys, 'bob');
  cli.ok('ssh-keys:add', 'bob', bob.pub);
  cli.ok('apps:create', 'web');
  cli.ok('apps:create', 'shop');
  cli.ok('acl:add', 'web', 'bob');
  cli.ok('storage:create', 'shop-data', '--app', 'shop', '--chown', 'false');
  cli.ok('storage:create', 'admin-data', '--chown', 'false');
});
afterAll(removeRoots);

/** Refused: one Access denied line, exit 1, one AccessDenied event and nothing else. */
function expectDenied(words: string, reason: RegExp): void {
  const before = eventRows(root).length;
  const r = asBob(words);
  expect([r.code, r.stdout], words).toEqual([1, '']);
  expect(r.stderr.trimEnd(), words).toMatch(new RegExp(`^ !     Access denied for key bob: .*${reason.source}`));
  expect(eventRows(root).slice(before).map((e) => e.type), words).toEqual(['AccessDenied']);
}

describe('storage and the tenant rule', () => {
  it("a key makes an entry for its app under the storage root and mounts it, by name or by that entry's path", () => {
    const made = asBob('storage:create web-data --app web --chown false');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`Created storage entry web-data at ${join(storage, 'web-data')} for web`);
    expect(asBob('storage:mount web web-data --container-dir /app/storage').code).toBe(0);
    expect(asBob(`storage:mount web ${join(storage, 'web-data')}:/app/again:ro`).code).toBe(0);
    expect(mounts('web').map((m) => m.container_path)).toEqual(['/app/storage', '/app/again']);
  });

  it("refuses another app's entry, an admin's, a raw host path, / and a path given to storage:create", () => {
    expectDenied('storage:mount web shop-data --container-dir /app/shop', /storage entry shop-data is not one of web's/);
    expectDenied('storage:mount web admin-data --container-dir /app/admin', /storage entry admin-data is not one of web's/);
    expectDenied('storage:mount web /:/host', /a path on the server/);
    expectDenied(`storage:mount web ${join(storage, 'shop-data')}:/app/shop`, /a path on the server/);
    expectDenied('storage:create mine /etc --app web', /admin keys only/);
    expectDenied('storage:create mine --app shop', /no access to app shop/);
    expect(mounts('web')).toHaveLength(2);
  });

  it('refuses a name under the storage root that leads out of it', () => {
    mkdirSync(storage, { recursive: true });
    symlinkSync('/', join(storage, 'escape'));
    const r = asBob('storage:create escape --app web --chown false');
    expect([r.code, r.stderr.trim()]).toEqual([1, expect.stringMatching(/escape leads out of the storage root/)]);
    expect(cli('storage:ensure-directory', 'escape', '--chown', 'false').code).toBe(1);
  });
});
