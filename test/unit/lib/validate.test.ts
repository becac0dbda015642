import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import {
  decodeBase64Value,
  parseAssignment,
  parsePositiveInt,
  printable,
  validateAppName,
  validateConfigKey,
} from '../../../src/lib/validate.ts';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
};

describe('app names are DNS labels', () => {
  it.each(['a', '0', 'web', 'my-app', 'a1-b2-c3', '9lives', 'x'.repeat(63), `a${'-'.repeat(61)}b`])('accepts %s', (name) => {
    expect(validateAppName(name)).toBe(name);
  });

  it.each([
    ['Web', /^Invalid app name 'Web'/],
    ['my_app', /^Invalid app name/],
    ['-web', /^Invalid app name/],
    ['web-', /^Invalid app name/],
    ['-', /^Invalid app name/],
    ['my.app', /^Invalid app name/],
    ['my app', /^Invalid app name/],
    ['app/x', /^Invalid app name/],
    ['..', /^Invalid app name/],
    ['café', /^Invalid app name/],
    ['web\n', /^Invalid app name 'web\\x0a'/],
    [' web', /^Invalid app name/],
    ['', /^App name must not be empty$/],
    ['x'.repeat(64), /^App name is too long \(64 characters, at most 63\)$/],
  ])('refuses %j', (name, expected) => {
    expect(message(() => validateAppName(name))).toMatch(expected);
  });
});

describe('config keys', () => {
  it.each(['A', 'a', '_', '_A1', 'DATABASE_URL', 'lower_case', 'A'.repeat(200)])('accepts %s', (key) => {
    expect(validateConfigKey(key)).toBe(key);
  });

  it.each(['', '1A', 'A-B', 'A B', 'A.B', 'É', 'A=B', '$A', 'A\n'])('refuses %j', (key) => {
    expect(message(() => validateConfigKey(key))).toMatch(/^Invalid config key '.*': use letters, digits and underscores/);
  });
});

describe('KEY=VALUE assignments', () => {
  it('splits at the first = and keeps every byte of the value', () => {
    expect(parseAssignment('A=b=c')).toEqual(['A', 'b=c']);
    expect(parseAssignment('A=')).toEqual(['A', '']);
    expect(parseAssignment('A= spaced \n"quoted" $X \\ ✓')).toEqual(['A', ' spaced \n"quoted" $X \\ ✓']);
  });

  it.each([
    ['A', /^Expected KEY=VALUE, got 'A'$/],
    ['=v', /^Expected KEY=VALUE, got '=v'$/],
    ['', /^Expected KEY=VALUE, got ''$/],
    ['1A=v', /^Invalid config key '1A'/],
    ['A B=v', /^Invalid config key 'A B'/],
    ['A=x\0y', /^Value of A contains a NUL byte$/],
  ])('refuses %j', (pair, expected) => {
    expect(message(() => parseAssignment(pair))).toMatch(expected);
  });
});

describe('base64 values (--encoded)', () => {
  const encode = (s: string) => Buffer.from(s, 'utf8').toString('base64');

  it.each(['', 'plain', 'line1\nline2', "it's \"quoted\" $HOME `x` \\", 'é ✓ 🚀', '\uFEFFwith a byte order mark'])(
    'decodes %j back exactly',
    (value) => {
      expect(decodeBase64Value('K', encode(value))).toBe(value);
    },
  );

  it('accepts unpadded base64', () => {
    expect(decodeBase64Value('K', 'YWI')).toBe('ab');
  });

  it.each([
    ['not base64!', /^Value of K is not valid base64$/],
    ['abcde', /^Value of K is not valid base64$/],
    ['ab=c', /^Value of K is not valid base64$/],
    [Buffer.from('a\0b').toString('base64'), /^Value of K contains a NUL byte$/],
    [Buffer.from([0xff, 0xfe]).toString('base64'), /^Value of K is not valid UTF-8 once decoded$/],
    [Buffer.from([0x61, 0xc3]).toString('base64'), /^Value of K is not valid UTF-8 once decoded$/],
  ])('refuses %j', (encoded, expected) => {
    expect(message(() => decodeBase64Value('K', encoded))).toMatch(expected);
  });
});

describe('positive integers', () => {
  it('parses whole numbers within range', () => {
    expect(parsePositiveInt('-n', '1')).toBe(1);
    expect(parsePositiveInt('-n', '007')).toBe(7);
    expect(parsePositiveInt('-n', '100', 100)).toBe(100);
  });

  it.each([
    ['0', /^-n must be between 1 and 100, got 0$/],
    ['101', /^-n must be between 1 and 100, got 101$/],
    ['-1', /^-n must be a whole number, got '-1'$/],
    ['1.5', /^-n must be a whole number, got '1.5'$/],
    ['1e3', /^-n must be a whole number/],
    ['', /^-n must be a whole number, got ''$/],
    [' 5', /^-n must be a whole number/],
  ])('refuses %j', (text, expected) => {
    expect(message(() => parsePositiveInt('-n', text, 100))).toMatch(expected);
  });
});

describe('printable', () => {
  it('escapes control characters and shortens long input', () => {
    expect(printable('a\nb\tc\0')).toBe('a\\x0ab\\x09c\\x00');
    const long = printable('x'.repeat(500));
    expect(long).toHaveLength(80);
    expect(long.endsWith('...')).toBe(true);
  });
});
