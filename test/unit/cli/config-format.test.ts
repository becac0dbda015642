import { spawnSync } from 'node:child_process';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS, quotedValue, renderExport } from '../../../src/cli/config-format.ts';

/** Values that break naive quoting: every one must come back byte for byte. */
const TRICKY: Record<string, string> = {
  EMPTY: '',
  SPACES: '  leading and trailing  ',
  SINGLE: "it's 'quoted'",
  DOUBLE: 'say "hi"',
  DOLLAR: '$HOME ${PATH} $(id) $1',
  BACKTICK: '`id`',
  BACKSLASH: 'C:\\path\\ \\n \\\\',
  NEWLINES: 'line1\nline2\n\nline4\n',
  CRLF: 'a\r\nb',
  TAB: 'a\tb',
  UNICODE: 'é ✓ 🚀 日本',
  HASH: '#not a comment',
  EQUALS: 'a=b=c',
  GLOB: '* ? [a]',
  SEMICOLON: 'a; rm -rf /tmp/never && echo | cat',
  MIXED: `'"\\$\`\n'`,
};

/** Runs a script in a real POSIX shell and returns NUL-separated output. */
function sh(script: string, input = ''): string[] {
  const r = spawnSync('sh', ['-c', script], { input, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

const printVars = (keys: string[]) => keys.map((k) => `printf '%s\\0' "$${k}"`).join('; ');

describe('config:export --format exports (the default)', () => {
  it('evals back to the exact bytes in sh', () => {
    const text = renderExport(TRICKY, 'exports');
    const keys = Object.keys(TRICKY).sort();
    // The way users consume it: eval "$(dokku config:export app)"
    expect(sh(`eval "$(cat)"; ${printVars(keys)}`, text)).toEqual(keys.map((k) => TRICKY[k]));
  });

  it('exports the variables to child processes', () => {
    const text = renderExport({ CHILD_SEES: 'a\nb $x' }, 'exports');
    expect(sh(`eval "$(cat)"; sh -c 'printf "%s\\0" "$CHILD_SEES"'`, text)).toEqual(['a\nb $x']);
  });

  it('writes one export per key, sorted by key', () => {
    expect(renderExport({ B: '2', A: '1', a: '3' }, 'exports')).toBe("export A='1'\nexport B='2'\nexport a='3'");
  });

  it('renders nothing for no vars', () => {
    for (const f of EXPORT_FORMATS) expect(renderExport({}, f)).toBe(f === 'json' ? '{}' : f === 'json-list' ? '[]' : '');
  });
});

describe('config:get --quoted', () => {
  it('quotes a value so sh reads it back as the same bytes', () => {
    for (const value of Object.values(TRICKY)) {
      expect(sh(`eval "V=$(cat)"; printf '%s\\0' "$V"`, quotedValue(value))).toEqual([value]);
    }
  });
});

describe('config:export --format json', () => {
  it('parses back to the same object', () => {
    expect(JSON.parse(renderExport(TRICKY, 'json'))).toEqual(TRICKY);
  });
});

describe('config:export --format envfile', () => {
  const text = renderExport(TRICKY, 'envfile');
  const lines = text.split('\n');

  it('writes one KEY="value" line per var, whatever the value holds', () => {
    expect(lines).toHaveLength(Object.keys(TRICKY).length);
    for (const line of lines) expect(line).toMatch(/^[A-Za-z_][A-Za-z0-9_]*=".*"$/);
  });

  it('reads back exactly with its escapes (\\\\ \\" \\$ \\` \\n \\r) undone', () => {
    const read = Object.fromEntries(
      lines.map((line) => {
        const eq = line.indexOf('=');
        const body = line.slice(eq + 2, -1);
        const value = body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r' })[c] ?? c);
        return [line.slice(0, eq), value];
      }),
    );
    expect(read).toEqual(TRICKY);
  });

  it('is sourced by sh as the same values, for values on one line', () => {
    const oneLine = Object.fromEntries(Object.entries(TRICKY).filter(([, v]) => !/[\r\n]/.test(v)));
    const keys = Object.keys(oneLine).sort();
    expect(sh(`eval "$(cat)"; ${printVars(keys)}`, renderExport(oneLine, 'envfile'))).toEqual(keys.map((k) => oneLine[k]));
  });

  it("is read by Node's dotenv parser as the same values, for values without quotes, backslashes, $ or CR", () => {
    const plain = Object.fromEntries(Object.entries(TRICKY).filter(([, v]) => !/["\\$`\r]/.test(v)));
    expect(parseEnv(renderExport(plain, 'envfile'))).toEqual(plain);
  });
});

describe('config:export --format docker-args', () => {
  it('is one --env=KEY=VALUE word per var when the shell splits it', () => {
    const text = renderExport(TRICKY, 'docker-args');
    const keys = Object.keys(TRICKY).sort();
    expect(sh(`eval "set -- $(cat)"; for a in "$@"; do printf '%s\\0' "$a"; done`, text)).toEqual(
      keys.map((k) => `--env=${k}=${TRICKY[k]}`),
    );
  });

  it('leaves plain pairs unquoted', () => {
    expect(renderExport({ A: '1', B: 'x.y' }, 'docker-args')).toBe('--env=A=1 --env=B=x.y');
  });
});

describe('config:export --format shell', () => {
  it('is one line of assignments, sorted by key', () => {
    expect(renderExport({ B: 'two words', A: '1' }, 'shell')).toBe("A='1' B='two words'");
  });

  it('evals back to the exact bytes in sh', () => {
    const keys = Object.keys(TRICKY).sort();
    expect(sh(`eval "$(cat)"; ${printVars(keys)}`, renderExport(TRICKY, 'shell'))).toEqual(keys.map((k) => TRICKY[k]));
  });
});

describe('config:export --format json-list, docker-args-keys, pretty', () => {
  it('json-list is name/value objects, sorted by name', () => {
    expect(JSON.parse(renderExport({ B: '2', A: 'x"y' }, 'json-list'))).toEqual([
      { name: 'A', value: 'x"y' },
      { name: 'B', value: '2' },
    ]);
  });

  it('docker-args-keys names each key and no value', () => {
    expect(renderExport({ SECRET: 'hunter2', A: '1' }, 'docker-args-keys')).toBe('--env=A --env=SECRET');
  });

  it('pretty aligns the values and shows control characters escaped', () => {
    expect(renderExport({ LONG_KEY: 'a', K: 'b\x1bc' }, 'pretty')).toBe('K:        b\\x1bc\nLONG_KEY: a');
  });
});
