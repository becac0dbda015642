import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { pluginNameFromSource, validatePluginName, type PluginManifest } from '../lib/plugin-manifest.ts';
import { selfCommand } from '../lib/self.ts';
import { printable } from '../lib/validate.ts';
import { enabledPlugins, forgetCatalog, pluginsOnDisk, readManifest, subcommandOf } from '../plugins/catalog.ts';
import { pluginDirs, type PluginDirs } from '../plugins/dirs.ts';
import { fetchPlugin, sourceKind } from '../plugins/fetch.ts';
import { NOT_IMPLEMENTED_EXIT, runPluginProgram, runTrigger } from '../plugins/run.ts';
import { pluginStream, type PluginInstallData } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { decidePlugin, getPluginRow, listPluginRows, pluginProperties, type PluginCommand, type PluginRow } from '../state/plugin-state.ts';
import { requireApp } from '../state/queries.ts';
import type { Context } from './context.ts';
import { PluginFailed, pluginTriggers } from './triggers.ts';

/**
 * Plugins as use cases: every change is an event on the plugin's stream, and the files follow
 * Dokku's layout (`available/<name>`, `enabled/<name>` a link to it). A change is staged first and
 * put in place only once it fetched, read and installed; a failure leaves what was there before.
 */

async function record(ctx: Context, name: string, command: PluginCommand): Promise<void> {
  const store = await ctx.store();
  execute(store, pluginStream(name), () => getPluginRow(store.db, name), (row) => decidePlugin(name, command, row), ctx.actor);
}

function prepareDirs(dirs: PluginDirs): void {
  mkdirSync(dirs.available, { recursive: true, mode: 0o755 });
  mkdirSync(dirs.enabled, { recursive: true, mode: 0o755 });
}

/** The link in plugins/enabled that marks a plugin enabled, as Dokku's plugn makes it. */
export function enableOnDisk(dirs: PluginDirs, name: string): void {
  mkdirSync(dirs.enabled, { recursive: true, mode: 0o755 });
  const link = join(dirs.enabled, name);
  if (!existsSync(link)) {
    rmSync(link, { force: true });
    symlinkSync(join('..', 'available', name), link);
  }
  forgetCatalog();
}

function disableOnDisk(dirs: PluginDirs, name: string): void {
  rmSync(join(dirs.enabled, name), { force: true });
  forgetCatalog();
}

/** Runs `dependencies` then `install` of every enabled plugin, as Dokku does after an install or update. */
async function runInstallTriggers(ctx: Context): Promise<void> {
  const triggers = pluginTriggers(ctx.settings, ctx.io.out);
  await triggers.fire('dependencies', []);
  await triggers.fire('install', []);
}

async function fetchStaged(dirs: PluginDirs, name: string, source: string, committish: string | undefined): Promise<{ staging: string; data: PluginInstallData; manifest: PluginManifest }> {
  const staging = join(dirs.available, `.staging-${name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const fetched = await fetchPlugin(source, staging, committish);
    let manifest: PluginManifest;
    try {
      manifest = readManifest(staging);
    } catch (err) {
      throw new UserError(`${printable(source)} is not a dokku plugin: ${(err as Error).message}`);
    }
    const data: PluginInstallData = {
      name,
      source,
      kind: fetched.kind,
      ...(committish ? { committish } : {}),
      ...(fetched.commit ? { commit: fetched.commit } : {}),
      version: manifest.version,
      description: manifest.description,
    };
    return { staging, data, manifest };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

export interface InstallOptions {
  name?: string;
  committish?: string;
  /** Namespaces of dokku's own commands: a plugin may not take one. */
  builtIn: ReadonlySet<string>;
}

export async function installPlugin(ctx: Context, source: string, opts: InstallOptions): Promise<PluginRow> {
  sourceKind(source);
  const name = validatePluginName(opts.name ?? pluginNameFromSource(source));
  if (opts.builtIn.has(name)) throw new UserError(`${name} is built into dokku (dokku help ${name}); a plugin may not take its name (--name N installs it under another)`);
  const { db } = await ctx.store();
  const dirs = pluginDirs(ctx.settings);
  if (getPluginRow(db, name)) throw new UserError(`Plugin ${name} is already installed (plugin:update ${name} fetches it again)`);
  if (existsSync(join(dirs.available, name))) throw new UserError(`${join(dirs.available, name)} already exists: remove it or install under another --name`);
  prepareDirs(dirs);
  ctx.io.out(step(`Installing plugin ${name} from ${source}${opts.committish ? ` at ${opts.committish}` : ''}`));
  const { staging, data } = await fetchStaged(dirs, name, source, opts.committish);
  const target = join(dirs.available, name);
  renameSync(staging, target);
  enableOnDisk(dirs, name);
  try {
    await runInstallTriggers(ctx);
    await record(ctx, name, { type: 'install', data });
  } catch (err) {
    disableOnDisk(dirs, name);
    rmSync(target, { recursive: true, force: true });
    throw err;
  }
  ctx.io.out(step(`Plugin ${name} ${data.version} installed and enabled${data.commit ? ` (commit ${data.commit.slice(0, 12)})` : ''}`));
  return getPluginRow(db, name)!;
}

/** Fetches the plugin again from where it came from (at `committish`, else the source's default), then installs. */
export async function updatePlugin(ctx: Context, name: string, committish: string | undefined): Promise<PluginRow> {
  const { db } = await ctx.store();
  const row = getPluginRow(db, validatePluginName(name));
  if (!row) throw new UserError(`Plugin ${name} is not installed`);
  const dirs = pluginDirs(ctx.settings);
  prepareDirs(dirs);
  ctx.io.out(step(`Updating plugin ${name} from ${row.source}${committish ? ` at ${committish}` : ''}`));
  const { staging, data } = await fetchStaged(dirs, name, row.source, committish);
  const target = join(dirs.available, name);
  const old = join(dirs.available, `.previous-${name}-${process.pid}`);
  const had = existsSync(target);
  if (had) renameSync(target, old);
  renameSync(staging, target);
  forgetCatalog();
  try {
    await runInstallTriggers(ctx);
    await record(ctx, name, { type: 'update', data });
  } catch (err) {
    rmSync(target, { recursive: true, force: true });
    if (had) renameSync(old, target);
    forgetCatalog();
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
  if (row.enabled) enableOnDisk(dirs, name);
  const from = row.commit ? row.commit.slice(0, 12) : row.version;
  ctx.io.out(step(`Plugin ${name} updated: ${from} → ${data.commit ? data.commit.slice(0, 12) : data.version} (version ${data.version})`));
  return getPluginRow(db, name)!;
}

export async function setPluginEnabled(ctx: Context, name: string, enabled: boolean): Promise<void> {
  const { db } = await ctx.store();
  const row = getPluginRow(db, validatePluginName(name));
  if (!row) throw new UserError(`Plugin ${name} is not installed`);
  const dirs = pluginDirs(ctx.settings);
  if (enabled && !existsSync(join(dirs.available, name))) throw new UserError(`Plugin ${name}'s files are missing (plugin:update ${name} fetches them again)`);
  await record(ctx, name, { type: enabled ? 'enable' : 'disable' });
  if (enabled) enableOnDisk(dirs, name);
  else disableOnDisk(dirs, name);
  ctx.io.out(step(`Plugin ${name} ${enabled ? 'enabled' : 'disabled'}`));
}

/** Runs the plugin's own `uninstall` (a failure keeps it installed), then removes it. */
export async function uninstallPlugin(ctx: Context, name: string): Promise<void> {
  const { db } = await ctx.store();
  const row = getPluginRow(db, validatePluginName(name));
  if (!row) throw new UserError(`Plugin ${name} is not installed`);
  const dirs = pluginDirs(ctx.settings);
  const dir = join(dirs.available, name);
  const own: PluginDirs = { ...dirs, enabled: join(dirs.available, `.uninstall-${name}-${process.pid}`) };
  // Only this plugin's uninstall runs (as Dokku's plugin:uninstall): a view where it alone is enabled.
  if (existsSync(join(dir, 'uninstall'))) {
    mkdirSync(own.enabled, { recursive: true });
    symlinkSync(join('..', name), join(own.enabled, name));
    forgetCatalog();
    try {
      const outcome = await runTrigger(own, 'uninstall', [name], { capture: false, onLine: ctx.io.out, self: selfCommand() });
      if (outcome.failed) throw new PluginFailed('uninstall', name, outcome.failed.code, outcome.failed.tail);
    } finally {
      rmSync(own.enabled, { recursive: true, force: true });
      forgetCatalog();
    }
  }
  await record(ctx, name, { type: 'uninstall' });
  disableOnDisk(dirs, name);
  rmSync(dir, { recursive: true, force: true });
  ctx.io.out(step(`Plugin ${name} uninstalled`));
}

export interface PluginListing {
  name: string;
  version: string;
  enabled: boolean;
  description: string;
  source?: string;
  commit?: string;
  /** Why it cannot run as recorded: files missing, plugin.toml unreadable, or not installed through dokku. */
  problem?: string;
}

/** The plugins in the log and on disk, by name. */
export async function listPlugins(ctx: Context): Promise<PluginListing[]> {
  const { db } = await ctx.store();
  const disk = new Map(pluginsOnDisk(pluginDirs(ctx.settings)).map((p) => [p.name, p]));
  const out: PluginListing[] = [];
  for (const row of listPluginRows(db)) {
    const found = disk.get(row.name);
    disk.delete(row.name);
    const problem = !found ? `files missing (plugin:update ${row.name} fetches them again)` : found.problem;
    out.push({
      name: row.name,
      version: found?.manifest?.version ?? row.version,
      enabled: row.enabled && found?.enabled === true,
      description: row.description,
      source: row.source,
      ...(row.commit ? { commit: row.commit } : {}),
      ...(problem ? { problem } : {}),
    });
  }
  for (const p of disk.values()) {
    out.push({ name: p.name, version: p.manifest?.version ?? '', enabled: p.enabled, description: p.manifest?.description ?? '', problem: 'not installed through dokku (plugin:install records it)' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function pluginInstalled(ctx: Context, name: string): Promise<boolean> {
  return getPluginRow((await ctx.store()).db, name) !== undefined;
}

const PROPERTY_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_PROPERTY_BYTES = 64 * 1024;

/** `APP|--global`: the app's id, or undefined for the global scope. */
async function propertyScope(ctx: Context, plugin: string, app: string | undefined): Promise<{ appId?: string }> {
  const { db } = await ctx.store();
  if (!getPluginRow(db, plugin)) throw new UserError(`Plugin ${plugin} is not installed`);
  return app === undefined ? {} : { appId: requireApp(db, app).id };
}

function checkKey(key: string): void {
  if (!PROPERTY_KEY.test(key)) throw new UserError(`Invalid property key '${printable(key)}': letters, digits, _ . and -, at most 64`);
}

export async function setPluginProperty(ctx: Context, plugin: string, app: string | undefined, key: string, value: string): Promise<void> {
  checkKey(key);
  if (Buffer.byteLength(value) > MAX_PROPERTY_BYTES) throw new UserError(`Property value is over ${MAX_PROPERTY_BYTES / 1024} KiB`);
  const scope = await propertyScope(ctx, plugin, app);
  await record(ctx, plugin, { type: 'property-set', ...scope, key, value });
}

export async function unsetPluginProperty(ctx: Context, plugin: string, app: string | undefined, key: string): Promise<void> {
  checkKey(key);
  const scope = await propertyScope(ctx, plugin, app);
  const current = pluginProperties((await ctx.store()).db, plugin, scope.appId ?? '')[key];
  await record(ctx, plugin, { type: 'property-unset', ...scope, key, ...(current !== undefined ? { current } : {}) });
}

export async function getPluginProperties(ctx: Context, plugin: string, app: string | undefined): Promise<Record<string, string>> {
  const scope = await propertyScope(ctx, plugin, app);
  return pluginProperties((await ctx.store()).db, plugin, scope.appId ?? '');
}

/** Who answers a command dokku does not know: the plugin named by its namespace (`subcommands/<sub>`), else each `commands`. */
export interface PluginCommandPlan {
  /** Files to try in order; a `commands` file that exits 10 passes to the next. */
  candidates: Array<{ plugin: string; file: string }>;
  /** The position of the app argument, from the plugin.toml of the plugin that declares the command. */
  appArg?: number;
}

export function planPluginCommand(ctx: Context, command: string): PluginCommandPlan | undefined {
  const dirs = pluginDirs(ctx.settings);
  const enabled = enabledPlugins(dirs);
  if (enabled.length === 0) return undefined;
  const [ns, sub] = command.includes(':') ? [command.slice(0, command.indexOf(':')), command.slice(command.indexOf(':') + 1)] : [command, 'default'];
  const manifests = new Map(pluginsOnDisk(dirs).filter((p) => p.enabled && p.manifest).map((p) => [p.name, p.manifest!]));
  const direct = subcommandOf(dirs, ns!, sub!);
  if (direct) {
    const appArg = manifests.get(ns!)?.commands[command]?.app;
    return { candidates: [{ plugin: ns!, file: direct }], ...(appArg ? { appArg } : {}) };
  }
  const declaring = enabled.find((p) => manifests.get(p)?.commands[command]);
  const all = enabled.filter((p) => existsSync(join(dirs.available, p, 'commands'))).map((plugin) => ({ plugin, file: join(dirs.available, plugin, 'commands') }));
  if (all.length === 0) return undefined;
  // A declaring plugin answers first (and alone, for a tenant: see runPluginCommand).
  const ordered = declaring ? [...all.filter((c) => c.plugin === declaring), ...all.filter((c) => c.plugin !== declaring)] : all;
  const appArg = declaring ? manifests.get(declaring)!.commands[command]!.app : undefined;
  return { candidates: ordered, ...(appArg ? { appArg } : {}) };
}

/**
 * Runs a plugin command on this process's stdio. Returns undefined when no plugin implements it.
 * A tenant's call (allowed only for a command a plugin.toml ties to an app) reaches only the
 * plugin that declares it.
 */
export async function runPluginCommand(ctx: Context, plan: PluginCommandPlan, words: readonly string[]): Promise<number | undefined> {
  const dirs = pluginDirs(ctx.settings);
  const candidates = ctx.tenant ? plan.candidates.slice(0, 1) : plan.candidates;
  for (const c of candidates) {
    const code = await runPluginProgram(dirs, c.file, words, selfCommand());
    if (code !== NOT_IMPLEMENTED_EXIT || c.file.includes('/subcommands/')) return code;
  }
  return undefined;
}
