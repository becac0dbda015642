import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { createEntry, destroyEntry, ensureDirectory, mountStorage, requireEntry, unmountStorage } from '../app/storage.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { header, step, type ReportFields } from '../lib/output.ts';
import { chownProblem, mountText } from '../lib/storage.ts';
import { validateAppName } from '../lib/validate.ts';
import { findAppById, requireApp } from '../state/queries.ts';
import { getRunSettings } from '../state/run-settings.ts';
import { entryMounts, getStorageEntry, listStorageEntries, type StorageEntry } from '../state/storage-queries.ts';
import { parseFormat, toJson } from './common.ts';
import { printAppReports } from './report.ts';

const APPLY = 'restart the app (ps:restart) or deploy to apply it';

const chownOf = (v: unknown, fallback: string): string => {
  const value = v === undefined ? fallback : String(v);
  const problem = chownProblem(value);
  if (problem) throw new UserError(problem);
  return value;
};

/** `storage:*`, Dokku 0.38's names: named entries, and the app's bind mounts (run settings). */
export function registerStorage(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const entryJson = (e: StorageEntry, db: Parameters<typeof entryMounts>[0]) => ({
    name: e.name,
    path: e.path,
    app: e.appId ? (findAppById(db, e.appId)?.name ?? null) : null,
    chown: e.chown,
    created_at: e.createdAt,
    mounted_by: [...new Set(entryMounts(db, e).map((m) => findAppById(db, m.appId)?.name ?? m.appId))],
  });

  cli
    .command('storage:ensure-directory <name>', 'Create a directory under the storage root for mounting (Dokku marks it deprecated: use storage:create)')
    .option('--chown <owner>', 'herokuish (default), heroku, packeto, root or false')
    .action(async (name: string, opts: { chown?: unknown }) => {
      const path = ensureDirectory(ctx, name, chownOf(opts.chown, 'herokuish'));
      io.out(step(`Ensuring ${path} exists`));
    });

  cli
    .command('storage:create <name> [path]', "Register a named storage entry: a directory (default under the storage root), for one app with --app (non-admin keys: always, and never a path)")
    .option('--app <app>', 'The app the entry is for: its keys may mount it')
    .option('--chown <owner>', 'herokuish (default), heroku, packeto, root or false')
    .action(async (name: string, path: string | undefined, opts: { app?: unknown; chown?: unknown }) => {
      const app = opts.app === undefined ? undefined : validateAppName(String(opts.app));
      const entry = await createEntry(ctx, name, path, app, chownOf(opts.chown, 'herokuish'));
      io.out(step(`Created storage entry ${entry.name} at ${entry.path}${app ? ` for ${app}` : ''}`));
    });

  cli
    .command('storage:destroy <name>', 'Forget a named storage entry (its directory and data stay); refused while an app mounts it')
    .option('--force', 'Do not ask (nothing is asked here)')
    .action(async (name: string) => {
      await destroyEntry(ctx, name);
      io.out(step(`Destroyed storage entry ${name} (its directory is kept)`));
    });

  cli
    .command('storage:info <name>', 'Show one storage entry')
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const entry = requireEntry(getStorageEntry(db, name), name);
      const j = entryJson(entry, db);
      if (format === 'json') return void io.out(toJson(j));
      header(io, `Storage entry ${name}`);
      for (const [k, v] of [['Path', j.path], ['App', j.app ?? ''], ['Chown', j.chown], ['Created at', j.created_at], ['Mounted by', j.mounted_by.join(' ')]] as const) io.out(`${`${k}:`.padEnd(14)}${v}`);
    });

  cli
    .command('storage:list-entries', 'List the named storage entries')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const entries = listStorageEntries(db).map((e) => entryJson(e, db));
      if (format === 'json') return void io.out(toJson(entries));
      header(io, 'Storage entries');
      for (const e of entries) io.out(`${e.name}  ${e.path}${e.app ? `  (for ${e.app})` : ''}`);
    });

  cli
    .command('storage:mount <app> <mount>', 'Mount a named entry (NAME --container-dir /path) or, legacy, /host/dir:/container/dir[:options]; applied at the next deploy or restart')
    .option('--container-dir <path>', 'Where a named entry appears in the container')
    .option('--volume-options <options>', 'Mount options of a named entry: ro, rw, z, …')
    .action(async (name: string, spec: string, opts: { containerDir?: unknown; volumeOptions?: unknown }) => {
      const app = validateAppName(name);
      const named = !spec.includes(':');
      if (named && opts.containerDir === undefined) throw new UsageError('A named entry needs --container-dir /path');
      if (!named && opts.containerDir !== undefined) throw new UsageError('Give /host:/container or NAME --container-dir, not both');
      const mount = await mountStorage(
        ctx,
        app,
        named
          ? { kind: 'entry', name: spec, containerDir: String(opts.containerDir), ...(opts.volumeOptions !== undefined ? { options: String(opts.volumeOptions) } : {}) }
          : { kind: 'path', spec },
      );
      io.out(step(`Mounted ${mountText(mount)} in ${app}: ${APPLY}`));
    });

  cli
    .command('storage:unmount <app> <mount>', 'Remove a mount: a named entry (NAME [--container-dir /path]) or /host/dir:/container/dir')
    .option('--container-dir <path>', 'Only the named entry mounted there')
    .action(async (name: string, spec: string, opts: { containerDir?: unknown }) => {
      const app = validateAppName(name);
      const gone = await unmountStorage(
        ctx,
        app,
        spec.includes(':') ? { kind: 'path', spec } : { kind: 'entry', name: spec, ...(opts.containerDir !== undefined ? { containerDir: String(opts.containerDir) } : {}) },
      );
      io.out(step(`Unmounted ${gone.map(mountText).join(', ')} from ${app}: ${APPLY}`));
    });

  cli
    .command('storage:list <app>', "List the app's bind mounts (host:container)")
    .option('--format <format>', 'text or json')
    .action(async (name: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const mounts = getRunSettings(db, app.id).mounts;
      if (format === 'json') {
        return void io.out(toJson(mounts.map((m) => ({ host_path: m.host, container_path: m.container, volume_options: m.options ?? '', ...(m.entry ? { entry: m.entry } : {}) }))));
      }
      header(io, `${app.name} volume bind-mounts:`);
      for (const m of mounts) io.out(`       ${mountText(m)}`);
    });

  cli
    .command('storage:report [app]', 'Show storage mounts (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'storage information', (app) => {
        const mounts = getRunSettings(db, app.id).mounts.map(mountText).join(' ');
        // Dokku mounts nothing into builds either; deploy and run containers get the same mounts.
        const fields: ReportFields = [
          ['Storage build mounts', ''],
          ['Storage deploy mounts', mounts],
          ['Storage run mounts', mounts],
        ];
        return { fields };
      });
    });
}
