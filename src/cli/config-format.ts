import { quoteWord } from '../lib/words.ts';
import { escapeControls } from '../lib/validate.ts';
import type { ConfigVars } from '../state/deciders.ts';

/**
 * Renderers for `config:export`, Dokku's formats by Dokku's names: each reads back to exactly the
 * stored bytes in its own consumer (`eval`, `env`, `docker run`, a dotenv parser, a JSON parser).
 * `exports` is the default, as in Dokku; `pretty` is a table for people.
 */
export const EXPORT_FORMATS = ['exports', 'envfile', 'docker-args', 'docker-args-keys', 'shell', 'pretty', 'json', 'json-list'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Single quotes always, so `eval` in any POSIX shell gives back the exact value. */
const shellValue = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/** dotenv's double-quoted form: backslash escapes for the characters that would end or expand it. */
const envfileValue = (v: string): string =>
  `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/`/g, '\\`').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;

export function renderExport(vars: ConfigVars, format: ExportFormat): string {
  const entries = Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  switch (format) {
    case 'exports':
      return entries.map(([k, v]) => `export ${k}=${shellValue(v)}`).join('\n');
    case 'shell':
      // One line of assignments, for `env $(dokku config:export --format shell app) cmd` and `eval`.
      return entries.map(([k, v]) => `${k}=${shellValue(v)}`).join(' ');
    case 'envfile':
      return entries.map(([k, v]) => `${k}=${envfileValue(v)}`).join('\n');
    case 'json':
      return JSON.stringify(Object.fromEntries(entries), null, 2);
    case 'json-list':
      return JSON.stringify(entries.map(([name, value]) => ({ name, value })));
    case 'docker-args':
      return entries.map(([k, v]) => `--env=${quoteWord(`${k}=${v}`)}`).join(' ');
    case 'docker-args-keys':
      // Names only: `docker run` takes each value from the caller's own environment.
      return entries.map(([k]) => `--env=${k}`).join(' ');
    case 'pretty':
      return renderConfigTable(Object.fromEntries(entries)).join('\n');
  }
}

/** `KEY: value` rows, values aligned; control characters show as \xHH (a table is for people). */
export function renderConfigTable(vars: ConfigVars): string[] {
  const keys = Object.keys(vars);
  const width = Math.max(0, ...keys.map((k) => k.length)) + 2;
  return keys.map((k) => `${`${k}:`.padEnd(width)}${escapeControls(vars[k]!)}`);
}

export const quotedValue = shellValue;
