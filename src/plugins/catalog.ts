import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parsePluginManifest, type PluginManifest } from '../lib/plugin-manifest.ts';
import type { PluginDirs } from './dirs.ts';

/** A plugin directory under `available/`, as found on disk. */
export interface PluginOnDisk {
  name: string;
  dir: string;
  enabled: boolean;
  manifest?: PluginManifest;
  /** Why plugin.toml could not be read, if it could not. */
  problem?: string;
}

/** Every plugin under `available/`, by name (the order triggers run in, as plugn's). */
export function pluginsOnDisk(dirs: PluginDirs): PluginOnDisk[] {
  if (!existsSync(dirs.available)) return [];
  return readdirSync(dirs.available, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(dirs.available, name);
      const enabled = existsSync(join(dirs.enabled, name));
      try {
        return { name, dir, enabled, manifest: readManifest(dir) };
      } catch (err) {
        return { name, dir, enabled, problem: (err as Error).message };
      }
    });
}

export function readManifest(dir: string): PluginManifest {
  const file = join(dir, 'plugin.toml');
  if (!existsSync(file)) throw new Error('no plugin.toml');
  return parsePluginManifest(readFileSync(file, 'utf8'));
}

/** Names of the enabled plugins, in order. Read once per process; `forgetCatalog` after a change. */
let enabledCache: { key: string; names: string[] } | undefined;
const executables = new Map<string, Set<string>>();

export function enabledPlugins(dirs: PluginDirs): string[] {
  if (enabledCache?.key === dirs.enabled) return enabledCache.names;
  const names = existsSync(dirs.enabled)
    ? readdirSync(dirs.enabled)
        .filter((n) => !n.startsWith('.') && existsSync(join(dirs.available, n)))
        .sort()
    : [];
  enabledCache = { key: dirs.enabled, names };
  return names;
}

export function forgetCatalog(): void {
  enabledCache = undefined;
  executables.clear();
}

/** The executable files directly in a plugin's directory (its triggers and `commands`). */
function executablesOf(dir: string): Set<string> {
  let found = executables.get(dir);
  if (found) return found;
  found = new Set();
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    try {
      const st = statSync(join(dir, entry));
      if (st.isFile() && (st.mode & 0o111) !== 0) found.add(entry);
    } catch {
      // a dangling link is not a trigger
    }
  }
  executables.set(dir, found);
  return found;
}

/** The enabled plugins that handle `trigger`, in order, with the file to run. */
export function handlersOf(dirs: PluginDirs, trigger: string): Array<{ plugin: string; file: string }> {
  return enabledPlugins(dirs).flatMap((plugin) => {
    const dir = join(dirs.available, plugin);
    return executablesOf(dir).has(trigger) ? [{ plugin, file: join(dir, trigger) }] : [];
  });
}

/** A plugin's `subcommands/<sub>` if executable (Dokku's layout for `<plugin>:<sub>`). */
export function subcommandOf(dirs: PluginDirs, plugin: string, sub: string): string | undefined {
  if (!enabledPlugins(dirs).includes(plugin) || !/^[a-z0-9][a-z0-9-]*$/.test(sub)) return undefined;
  const file = join(dirs.available, plugin, 'subcommands', sub);
  try {
    const st = statSync(file);
    return st.isFile() && (st.mode & 0o111) !== 0 ? file : undefined;
  } catch {
    return undefined;
  }
}
