import { UserError } from './errors.ts';
import { printable } from './validate.ts';

/**
 * A plugin's `plugin.toml`, as Dokku reads it: `[plugin]` with `description` and `version`, and
 * here also `[commands]`, which says which argument of a plugin command is the app (`"maint:on" =
 * { app = 1 }`), so a non-admin key holding that app may run it.
 * The file is read with a parser for the part of TOML these files use (tables, strings, numbers,
 * booleans, one-line inline tables, comments); anything else is refused in one line.
 */
export interface PluginManifest {
  description: string;
  version: string;
  /** Command name → the 1-based position of its app argument. */
  commands: Record<string, { app: number }>;
}

export const MAX_MANIFEST_BYTES = 64 * 1024;

type Value = string | number | boolean | Record<string, string | number | boolean>;

export function parsePluginManifest(text: string): PluginManifest {
  if (text.length > MAX_MANIFEST_BYTES) throw new UserError(`plugin.toml is over ${MAX_MANIFEST_BYTES / 1024} KiB`);
  const tables: Record<string, Record<string, Value>> = {};
  let table: Record<string, Value> | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (line === '') return;
    const where = `plugin.toml line ${i + 1}`;
    const header = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/.exec(line);
    if (header) {
      table = tables[header[1]!] ??= {};
      return;
    }
    if (!table) throw new UserError(`${where}: a key outside any [table]`);
    const [key, rest] = readKey(line, where);
    if (!rest.startsWith('=')) throw new UserError(`${where}: expected key = value`);
    const [value, after] = readValue(rest.slice(1).trim(), where, true);
    if (after.trim() !== '') throw new UserError(`${where}: unexpected '${printable(after.trim())}' after the value`);
    table[key] = value;
  });
  const plugin = tables.plugin ?? {};
  const description = plugin.description ?? '';
  const version = plugin.version ?? '';
  if (typeof description !== 'string') throw new UserError('plugin.toml: [plugin] description must be a string');
  if (typeof version !== 'string' || version === '') throw new UserError('plugin.toml: [plugin] needs a version (a string)');
  const commands: PluginManifest['commands'] = {};
  for (const [name, v] of Object.entries(tables.commands ?? {})) {
    const app = typeof v === 'object' ? v.app : undefined;
    if (typeof app !== 'number' || !Number.isInteger(app) || app < 1 || app > 16) {
      throw new UserError(`plugin.toml: [commands] "${printable(name)}" must be { app = N }, N the app argument's position (1 to 16)`);
    }
    commands[name] = { app };
  }
  return { description, version, commands };
}

function stripComment(line: string): string {
  let quoted: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && quoted === '"') i++;
      else if (c === quoted) quoted = undefined;
    } else if (c === '"' || c === "'") quoted = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function readKey(text: string, where: string): [string, string] {
  if (text.startsWith('"') || text.startsWith("'")) {
    const [key, rest] = readString(text, where);
    return [key, rest.trim()];
  }
  const m = /^([A-Za-z0-9_:-]+)\s*/.exec(text);
  if (!m) throw new UserError(`${where}: expected a key`);
  return [m[1]!, text.slice(m[0].length)];
}

function readString(text: string, where: string): [string, string] {
  const q = text[0]!;
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === q) return [out, text.slice(i + 1)];
    if (c === '\\' && q === '"') {
      const n = text[++i];
      const escapes: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };
      if (n === undefined || !(n in escapes)) throw new UserError(`${where}: unsupported escape in a string`);
      out += escapes[n];
    } else out += c;
  }
  throw new UserError(`${where}: unterminated string`);
}

function readValue(text: string, where: string, inlineTable: boolean): [Value, string] {
  if (text.startsWith('"') || text.startsWith("'")) return readString(text, where);
  if (inlineTable && text.startsWith('{')) {
    const table: Record<string, string | number | boolean> = {};
    let rest = text.slice(1).trim();
    while (!rest.startsWith('}')) {
      const [key, afterKey] = readKey(rest, where);
      if (!afterKey.startsWith('=')) throw new UserError(`${where}: expected key = value in an inline table`);
      const [value, afterValue] = readValue(afterKey.slice(1).trim(), where, false);
      table[key] = value as string | number | boolean;
      rest = afterValue.trim();
      if (rest.startsWith(',')) rest = rest.slice(1).trim();
      else if (!rest.startsWith('}')) throw new UserError(`${where}: expected , or } in an inline table`);
    }
    return [table, rest.slice(1)];
  }
  const m = /^(true|false|-?\d+)/.exec(text);
  if (!m) throw new UserError(`${where}: unsupported value '${printable(text.slice(0, 40))}' (strings, integers, booleans, { inline tables })`);
  const v = m[1] === 'true' ? true : m[1] === 'false' ? false : Number(m[1]);
  return [v, text.slice(m[0].length)];
}

/** Plugin names as Dokku's: lowercase letters, digits and dashes; a `dokku-` prefix of a repository is dropped. */
export function validatePluginName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(name)) throw new UserError(`Invalid plugin name '${printable(name)}': lowercase letters, digits and dashes, at most 48`);
  return name;
}

/** The name a source gives a plugin without --name: its last path part, without `.git`, `.tar.gz` or a `dokku-` prefix. */
export function pluginNameFromSource(source: string): string {
  const last = source.replace(/[/]+$/, '').split(/[/:]/).pop() ?? '';
  return last.replace(/\.(git|tar\.gz|tgz)$/, '').replace(/^dokku-/, '').toLowerCase();
}
