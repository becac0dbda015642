import { UserError } from '../lib/errors.ts';
import { printable, validateConfigKey } from '../lib/validate.ts';
import type { ConfigVars } from '../state/deciders.ts';

/**
 * What `config:import` reads: the inverse of `config:export --format envfile` and `--format json`,
 * so an export piped into an import gives back the same bytes. Every key is checked as config:set
 * checks one; one bad line refuses the whole input.
 */
export const IMPORT_FORMATS = ['envfile', 'json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function parseConfigImport(text: string, format: ImportFormat): ConfigVars {
  const vars = format === 'json' ? parseJson(text) : parseEnvfile(text);
  for (const [k, v] of Object.entries(vars)) {
    if (v.includes('\0')) throw new UserError(`Value of ${k} contains a NUL byte`);
  }
  return vars;
}

function parseJson(text: string): ConfigVars {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`Input is not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError('Input must be a JSON object of KEY: "value"');
  const vars: ConfigVars = {};
  for (const [k, v] of Object.entries(doc)) {
    validateConfigKey(k);
    if (typeof v !== 'string') throw new UserError(`Value of ${k} must be a string`);
    vars[k] = v;
  }
  return vars;
}

const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$', '`': '`' };

/** `KEY="…"` (dotenv escapes), `KEY='…'` (literal), `KEY=word`; `export ` prefixes, `#` comments and blank lines are allowed. */
function parseEnvfile(text: string): ConfigVars {
  const vars: ConfigVars = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq <= 0) throw new UserError(`Line ${i + 1}: expected KEY=VALUE, got '${printable(line.slice(0, 80))}'`);
    const key = validateConfigKey(body.slice(0, eq).trim());
    vars[key] = envfileValue(body.slice(eq + 1).trim(), i + 1);
  });
  return vars;
}

function envfileValue(rest: string, lineNo: number): string {
  const unterminated = () => new UserError(`Line ${lineNo}: the quoted value is not closed`);
  if (rest.startsWith('"')) {
    let out = '';
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '"') return trailing(rest.slice(i + 1), lineNo, out);
      if (ch === '\\' && i + 1 < rest.length) {
        const next = rest[++i]!;
        out += DOUBLE_ESCAPES[next] ?? `\\${next}`;
      } else out += ch;
    }
    throw unterminated();
  }
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end === -1) throw unterminated();
    return trailing(rest.slice(end + 1), lineNo, rest.slice(1, end));
  }
  // An unquoted value ends at a ` #` comment.
  return rest.replace(/\s+#.*$/, '');
}

function trailing(after: string, lineNo: number, value: string): string {
  if (after.trim() !== '' && !after.trim().startsWith('#')) throw new UserError(`Line ${lineNo}: unexpected text after the closing quote`);
  return value;
}
