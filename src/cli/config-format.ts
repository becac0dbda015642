import { quoteWord } from '../lib/words.ts';
import type { ConfigVars } from '../state/deciders.ts';

/** Renderers for `config:export`: each reads back to exactly the stored bytes in its own consumer. */

export const EXPORT_FORMATS = ['shell', 'envfile', 'json', 'docker-args'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Single quotes always, so `eval` in any POSIX shell gives back the exact value. */
const shellValue = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/** dotenv's double-quoted form: backslash escapes for the characters that would end or expand it. */
const envfileValue = (v: string): string =>
  `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/`/g, '\\`').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;

export function renderExport(vars: ConfigVars, format: ExportFormat): string {
  const entries = Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  switch (format) {
    case 'shell':
      return entries.map(([k, v]) => `export ${k}=${shellValue(v)}`).join('\n');
    case 'envfile':
      return entries.map(([k, v]) => `${k}=${envfileValue(v)}`).join('\n');
    case 'json':
      return JSON.stringify(Object.fromEntries(entries), null, 2);
    case 'docker-args':
      return entries.map(([k, v]) => `--env=${quoteWord(`${k}=${v}`)}`).join(' ');
  }
}

export const quotedValue = shellValue;
