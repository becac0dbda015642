import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { quoteWord, splitCommandWords } from '../../../src/lib/words.ts';
import { seededRandom, testSeed } from '../../helpers/random.ts';

const refusal = (input: string): string => {
  try {
    splitCommandWords(input);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
};

// A scratch directory for the real shell below, so a redirection it performs lands nowhere that matters.
const scratch = mkdtempSync(join(tmpdir(), 'dokku-words-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** How a real POSIX shell (dash here) splits the same text into words, globbing off. */
function shellWords(input: string): string[] | undefined {
  const r = spawnSync('sh', ['-c', `set -f; set -- ${input}\nfor w in "$@"; do printf '%s\\0' "$w"; done`], { cwd: scratch, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.split('\0').slice(0, -1);
}

/**
 * The same text with every character a shell would act on quoted, so that sh only splits and
 * unquotes it: the words splitCommandWords promises for the original.
 */
function literalForShell(input: string): string {
  const active = ';&|<>()$`#';
  let out = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote === "'") {
      out += c;
      if (c === "'") quote = undefined;
    } else if (quote === '"') {
      if (c === '\\' && i + 1 < input.length) {
        out += c + input[++i];
      } else {
        out += c === '$' || c === '`' ? `\\${c}` : c;
        if (c === '"') quote = undefined;
      }
    } else if (c === '\\' && i + 1 < input.length) {
      out += c + input[++i];
    } else {
      if (c === "'" || c === '"') quote = c;
      out += active.includes(c) ? `\\${c}` : c;
    }
  }
  return out;
}

describe('splitCommandWords: words', () => {
  it.each<[string, string[]]>([
    ['apps:list', ['apps:list']],
    ['', []],
    ['   ', []],
    ['  config:set   web  A=1\tB=2  ', ['config:set', 'web', 'A=1', 'B=2']],
    ["config:set web 'A=two words'", ['config:set', 'web', 'A=two words']],
    ['config:set web "A=two words"', ['config:set', 'web', 'A=two words']],
    ["config:set web A='a'\"b\"c", ['config:set', 'web', 'A=abc']],
    ["'$(not run)' '`not run`' '${X}' ';' '&&' '|' '>' '<'", ['$(not run)', '`not run`', '${X}', ';', '&&', '|', '>', '<']],
    ['"a \\" b" "c \\\\ d" "e \\$ f" "g \\` h"', ['a " b', 'c \\ d', 'e $ f', 'g ` h']],
    ['"keep \\n and \\x"', ['keep \\n and \\x']],
    ["'it'\\''s'", ["it's"]],
    ['a\\ b c\\;d e\\&f \\$g', ['a b', 'c;d', 'e&f', '$g']],
    ["'' \"\" x", ['', '', 'x']],
    ["K='line1\nline2'", ['K=line1\nline2']],
    ['K="line1\nline2"', ['K=line1\nline2']],
    ['"a\\\nb"', ['ab']],
    ['a#b c', ['a#b', 'c']],
    ["'#' \\#", ['#', '#']],
    ['é ✓ 🚀', ['é', '✓', '🚀']],
    ['a=b* ? [x]', ['a=b*', '?', '[x]']],
    ["K='tab\there'", ['K=tab\there']],
    // Quoted, control characters are part of a value (every output escapes them).
    ["K='\x1b]0;title\x07' \"L=\x08\r\" M=\\\x01 N=\\\r", ['K=\x1b]0;title\x07', 'L=\x08\r', 'M=\x01', 'N=\r']],
  ])('%j → %j', (input, words) => {
    expect(splitCommandWords(input)).toEqual(words);
  });
});

describe('splitCommandWords: shell characters are plain characters of a word', () => {
  it.each<[string, string[]]>([
    [
      "config:set web 'DATABASE_URL=postgres://u:p@h/db?sslmode=require&pool=5'",
      ['config:set', 'web', 'DATABASE_URL=postgres://u:p@h/db?sslmode=require&pool=5'],
    ],
    ['config:set web DATABASE_URL=postgres://h/db?a=1&b=2', ['config:set', 'web', 'DATABASE_URL=postgres://h/db?a=1&b=2']],
    ['apps:list; apps:destroy web', ['apps:list;', 'apps:destroy', 'web']],
    ['apps:list && apps:destroy web', ['apps:list', '&&', 'apps:destroy', 'web']],
    ['apps:list || true', ['apps:list', '||', 'true']],
    ['apps:list | cat', ['apps:list', '|', 'cat']],
    ['apps:list &', ['apps:list', '&']],
    ['apps:create $(id)', ['apps:create', '$(id)']],
    ['apps:create "$(id)"', ['apps:create', '$(id)']],
    ['apps:create `id`', ['apps:create', '`id`']],
    ['apps:create "`id`"', ['apps:create', '`id`']],
    ['apps:create ${HOME}', ['apps:create', '${HOME}']],
    ['config:set web "K=$HOME"', ['config:set', 'web', 'K=$HOME']],
    ["config:set web 'A=$(id)'", ['config:set', 'web', 'A=$(id)']],
    ['config:set web "PRICE=\\$5" "P=$5"', ['config:set', 'web', 'PRICE=$5', 'P=$5']],
    ['apps:list > /tmp/out', ['apps:list', '>', '/tmp/out']],
    ['apps:list >> /tmp/out', ['apps:list', '>>', '/tmp/out']],
    ['apps:list < /etc/passwd', ['apps:list', '<', '/etc/passwd']],
    ['apps:list 2>&1', ['apps:list', '2>&1']],
    ['apps:list # comment', ['apps:list', '#', 'comment']],
    ['(apps:list)', ['(apps:list)']],
    ["apps:create 'x;rm'", ['apps:create', 'x;rm']],
    ["run web sh -c 'exit 7'", ['run', 'web', 'sh', '-c', 'exit 7']],
  ])('%j → %j', (input, words) => {
    expect(splitCommandWords(input)).toEqual(words);
  });
});

describe('splitCommandWords: refusals', () => {
  it.each<[string, RegExp]>([
    ['apps:list\napps:destroy web', /a line break at character 10; send one command at a time/],
    ['apps:list\r', /a line break at character 10/],
    ['apps:list \\\n--format json', /a line continuation at character 11/],
    ["apps:create 'web", /an unterminated single quote at character 13/],
    ['apps:create "web', /an unterminated double quote at character 13/],
    ['apps:create "web\\"', /an unterminated double quote/],
    ['apps:create web\\', /a trailing backslash at character 16/],
    ['apps:create web\0x', /a NUL byte at character 16/],
    ['config:set web "K=a\0b"', /a NUL byte at character 20/],
    ["config:set web 'K=a\0b'", /a NUL byte at character 20/],
    ['apps:create web\\\0', /a NUL byte at character 17/],
    ['apps:create \x1b[31mred', /the control character U\+001B at character 13/],
    ['apps:create web\x7f', /the control character U\+007F/],
    ['apps:create web\x9b31m', /the control character U\+009B/],
  ])('%j', (input, expected) => {
    const msg = refusal(input);
    expect(msg).toMatch(/^Refusing command: /);
    expect(msg).toMatch(expected);
  });

  it('names the character position of the first offending character', () => {
    expect(refusal('a b\nc')).toMatch(/at character 4;/);
    expect(refusal('\x1bx')).toMatch(/at character 1$/);
    expect(refusal("a 'b\0'")).toMatch(/at character 5$/);
  });
});

describe('splitCommandWords agrees with a real POSIX shell', () => {
  it('on the accepted examples above', () => {
    const inputs = ["config:set web 'A=two words'", 'a\\ b "c \\" d" \'e\'\\\'\'f\'', "K='x\ny'", '"a\\\nb" c#d', "'' \"\"", 'é "✓ x"'];
    for (const input of inputs) expect(splitCommandWords(input), input).toEqual(shellWords(input));
  });

  it('on shell characters, once they are quoted for sh: splitting never depends on them', () => {
    const inputs = ["config:set web 'U=pg://h/db?a=1&b=2' K=$HOME \"L=$(id)\" M=`id`", 'a;b c&&d e|f >g <h (i) #j k#l', '"\\$x" \\$y "a\\`b"'];
    for (const input of inputs) expect(splitCommandWords(input), input).toEqual(shellWords(literalForShell(input)));
  });

  it('on random strings: whatever it accepts, sh splits into the same words once its active characters are quoted', () => {
    const seed = testSeed();
    const rand = seededRandom(seed);
    // Mostly characters that only quote or separate; now and then one a shell would act on, or a control character.
    const common = ['a', 'b', 'é', ' ', ' ', '\t', "'", "'", '"', '"', '\\', '\\', '#', '=', '*', '{', '}'];
    const rare = ['\n', ';', '&', '|', '>', '<', '$', '(', ')', '`', '\x1b', '\r'];
    let accepted = 0;
    let attempts = 0;
    while (accepted < 250 && attempts < 20_000) {
      attempts++;
      const length = 1 + Math.floor(rand() * 12);
      let input = '';
      for (let i = 0; i < length; i++) {
        const from = rand() < 0.08 ? rare : common;
        input += from[Math.floor(rand() * from.length)];
      }
      let words: string[] | undefined;
      try {
        words = splitCommandWords(input);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        continue;
      }
      accepted++;
      expect(shellWords(literalForShell(input)), `seed ${seed}: input ${JSON.stringify(input)}`).toEqual(words);
    }
    expect(accepted, `seed ${seed}`).toBe(250);
    // Nothing the tokenizer accepted made the shell redirect into a file.
    expect(readdirSync(scratch)).toEqual([]);
  });
});

describe('quoteWord', () => {
  it('leaves plain words bare and quotes everything else so sh reads back the same bytes', () => {
    expect(quoteWord('apps:list')).toBe('apps:list');
    expect(quoteWord('K=v')).toBe('K=v');
    const words = ['', 'two words', "it's", '$HOME', '`id`', 'a\nb', '\\', '"', '*', '~', '#x', 'é ✓'];
    const line = words.map(quoteWord).join(' ');
    expect(shellWords(line)).toEqual(words);
    expect(splitCommandWords(line)).toEqual(words);
  });
});
