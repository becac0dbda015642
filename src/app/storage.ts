import { chownSync, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import type { Mount, RunSettings } from '../lib/run-settings.ts';
import { absolutePathProblem, CHOWN, containerPathProblem, mountOptionsProblem, mountText, parseMountSpec, storageNameProblem, trimSlash } from '../lib/storage.ts';
import { printable } from '../lib/validate.ts';
import { GLOBAL_STREAM, type DomainEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { getRunSettings } from '../state/run-settings.ts';
import { entryMounts, getStorageEntry, listStorageEntries, type StorageEntry } from '../state/storage-queries.ts';
import { forbidTenant, type Context } from './context.ts';
import { changeRunSettings } from './run-settings.ts';

/**
 * Persistent storage: named entries (a host directory, made for one app or by an admin for any) and
 * the mounts of an app, which are run settings (recorded on each release, restored by a rollback).
 * A non-admin key names no host path: it mounts only entries made for its own app.
 */

const check = (problem: string | undefined): void => {
  if (problem) throw new UserError(problem);
};

/** Creates the directory and gives it to the `--chown` owner; says so when this user may not. */
function prepareDirectory(path: string, chown: string, say: (line: string) => void): void {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  const owner = CHOWN[chown];
  if (!owner) return;
  try {
    chownSync(path, owner.uid, owner.gid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    // Only root may give a directory away; the app's user may then lack write access to it.
    say(` !     Could not give ${path} to ${owner.uid}:${owner.gid} (${chown}) as ${process.getuid?.()}: run the command as root, or pass --chown false`);
  }
}

/** A name under the storage root must stay there: a symlink put in its place is not followed out. */
function underStorageRoot(ctx: Context, name: string): string {
  const root = ctx.settings.storageRoot;
  const path = join(root, name);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  if (existsSync(path) && dirname(realpathSync(path)) !== realpathSync(root)) throw new UserError(`${path} leads out of the storage root ${root}: remove it first`);
  return path;
}

/** `storage:ensure-directory`: a directory under the storage root, owned for the app's user. */
export function ensureDirectory(ctx: Context, name: string, chown: string): string {
  check(storageNameProblem(name));
  const path = underStorageRoot(ctx, name);
  prepareDirectory(path, chown, ctx.io.err);
  return path;
}

/** `storage:create NAME [PATH] [--app APP]`: records the entry after its directory exists. */
export async function createEntry(ctx: Context, name: string, path: string | undefined, appName: string | undefined, chown: string): Promise<StorageEntry> {
  check(storageNameProblem(name));
  const store = await ctx.store();
  const app = appName === undefined ? undefined : requireApp(store.db, appName);
  if (path !== undefined) {
    await forbidTenant(ctx, 'storage:create', 'a path on the server', app?.name);
    check(absolutePathProblem(path, 'host path'));
  }
  const dir = trimSlash(path ?? underStorageRoot(ctx, name));
  if (getStorageEntry(store.db, name)) throw new UserError(`Storage entry ${name} already exists`);
  prepareDirectory(dir, chown, ctx.io.err);
  execute(
    store,
    GLOBAL_STREAM,
    () => getStorageEntry(store.db, name),
    (existing): DomainEvent[] => {
      if (existing) throw new UserError(`Storage entry ${name} already exists`);
      return [{ type: 'StorageEntryCreated', data: { name, path: dir, ...(app ? { appId: app.id } : {}), chown } }];
    },
    ctx.actor,
  );
  return getStorageEntry(store.db, name)!;
}

export function requireEntry(entry: StorageEntry | undefined, name: string): StorageEntry {
  if (!entry) throw new UserError(`Storage entry ${printable(name)} does not exist (see storage:list-entries)`);
  return entry;
}

/** `storage:destroy`: forgets the entry (its directory and data stay); refused while an app mounts it. */
export async function destroyEntry(ctx: Context, name: string): Promise<void> {
  const store = await ctx.store();
  const entry = requireEntry(getStorageEntry(store.db, name), name);
  const users = entryMounts(store.db, entry);
  if (users.length) {
    const names = [...new Set(users.map((u) => store.db.prepare('SELECT name FROM apps WHERE id = ?').get<{ name: string }>(u.appId)?.name ?? u.appId))];
    throw new UserError(`Storage entry ${name} is mounted by ${names.join(', ')}: storage:unmount it first`);
  }
  execute(store, GLOBAL_STREAM, () => getStorageEntry(store.db, name), (e): DomainEvent[] => (e ? [{ type: 'StorageEntryDestroyed', data: { name } }] : []), ctx.actor);
}

export type MountRequest = { kind: 'entry'; name: string; containerDir: string; options?: string } | { kind: 'path'; spec: string };

const samePath = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/** The mount a request names, checked, with the tenant rule: only entries made for this app. */
async function resolveMount(ctx: Context, app: AppRow, req: MountRequest): Promise<Mount> {
  const { db } = await ctx.store();
  if (req.kind === 'entry') {
    check(storageNameProblem(req.name));
    check(containerPathProblem(req.containerDir));
    if (req.options !== undefined) check(mountOptionsProblem(req.options));
    const entry = requireEntry(getStorageEntry(db, req.name), req.name);
    if (entry.appId !== app.id) await forbidTenant(ctx, 'storage:mount', `storage entry ${req.name} is not one of ${app.name}'s`, app.name);
    return { host: entry.path, container: trimSlash(req.containerDir), ...(req.options ? { options: req.options } : {}), entry: entry.name };
  }
  let mount: Mount;
  try {
    mount = parseMountSpec(req.spec);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  // A host path is the server's: a tenant may name one only when it is its own app's entry.
  const own = listStorageEntries(db).find((e) => e.appId === app.id && samePath(e.path, mount.host));
  if (!own) await forbidTenant(ctx, 'storage:mount', 'a path on the server that is not one of the app\'s storage entries', app.name);
  return own ? { ...mount, host: own.path, entry: own.name } : mount;
}

/** `storage:mount`: one more mount in the app's run settings; applied by the next deploy or restart. */
export async function mountStorage(ctx: Context, appName: string, req: MountRequest): Promise<Mount> {
  const { db } = await ctx.store();
  const app = requireApp(db, appName);
  const mount = await resolveMount(ctx, app, req);
  if (!existsSync(mount.host)) throw new UserError(`Host path ${mount.host} does not exist: create it first (storage:create or storage:ensure-directory)`);
  const kind = statSync(mount.host);
  if (!kind.isDirectory() && !kind.isFile()) throw new UserError(`Host path ${mount.host} is neither a directory nor a file`);
  await changeRunSettings(ctx, app.name, (doc: RunSettings): DomainEvent[] => {
    if (doc.mounts.some((m) => m.host === mount.host && m.container === mount.container)) throw new UserError(`${mountText(mount)} is already mounted`);
    if (doc.mounts.some((m) => m.container === mount.container)) throw new UserError(`Something is already mounted at ${mount.container} (see storage:list ${app.name})`);
    return [{ type: 'StorageMounted', data: { mount } }];
  }, { restart: false });
  return mount;
}

export type UnmountRequest = { kind: 'entry'; name: string; containerDir?: string } | { kind: 'path'; spec: string };

/** `storage:unmount`: takes a mount out of the app's run settings. */
export async function unmountStorage(ctx: Context, appName: string, req: UnmountRequest): Promise<Mount[]> {
  const { db } = await ctx.store();
  const app = requireApp(db, appName);
  const mounts = getRunSettings(db, app.id).mounts;
  let target: Mount[];
  if (req.kind === 'entry') {
    target = mounts.filter((m) => m.entry === req.name && (req.containerDir === undefined || m.container === trimSlash(req.containerDir)));
  } else {
    let spec: Mount;
    try {
      spec = parseMountSpec(req.spec);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    target = mounts.filter((m) => m.host === spec.host && m.container === spec.container);
  }
  if (target.length === 0) throw new UserError(`Nothing like that is mounted in ${app.name} (see storage:list ${app.name})`);
  await changeRunSettings(ctx, app.name, () => target.map((mount): DomainEvent => ({ type: 'StorageUnmounted', data: { mount } })), { restart: false });
  return target;
}
