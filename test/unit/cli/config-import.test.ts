import { describe, expect, it } from 'vitest';
import { parseConfigImport } from '../../../src/cli/config-import.ts';
import { renderExport } from '../../../src/cli/config-format.ts';

describe('parseConfigImport', () => {
  const tricky = { A: 'plain', B: 'with "quotes" and \\ backslash', C: 'dollar $HOME and `tick`', D: 'two\nlines\r', E: '', F: "it's" };

  it('reads back exactly what config:export --format envfile and --format json write', () => {
    expect(parseConfigImport(renderExport(tricky, 'envfile'), 'envfile')).toEqual(tricky);
    expect(parseConfigImport(renderExport(tricky, 'json'), 'json')).toEqual(tricky);
  });

  it('takes export prefixes, single quotes as literal, bare words, comments and blank lines', () => {
    const text = ['# a comment', '', 'export A=1', "B='lit \\n $x'", 'C=word # trailing', 'D = "x"'].join('\n');
    expect(parseConfigImport(text, 'envfile')).toEqual({ A: '1', B: 'lit \\n $x', C: 'word', D: 'x' });
  });

  it('refuses a bad key, a line without =, an unclosed quote, and non-string JSON values, naming the line', () => {
    expect(() => parseConfigImport('GOOD=1\n1BAD=2', 'envfile')).toThrow(/^Invalid config key '1BAD'/);
    expect(() => parseConfigImport('A=1\nnonsense', 'envfile')).toThrow("Line 2: expected KEY=VALUE, got 'nonsense'");
    expect(() => parseConfigImport('A="open', 'envfile')).toThrow('Line 1: the quoted value is not closed');
    expect(() => parseConfigImport('A="x" y', 'envfile')).toThrow('Line 1: unexpected text after the closing quote');
    expect(() => parseConfigImport('{"A": 1}', 'json')).toThrow('Value of A must be a string');
    expect(() => parseConfigImport('[]', 'json')).toThrow(/must be a JSON object/);
    expect(() => parseConfigImport('{', 'json')).toThrow(/not valid JSON/);
    expect(() => parseConfigImport('{"A": "a\\u0000b"}', 'json')).toThrow('Value of A contains a NUL byte');
  });
});
