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
    ['"a\\\nb"', ['ab']],
    ['a#b c', ['a#b', 'c']],
    ["'#' \\#", ['#', '#']],
    ['é ✓ 🚀', ['é', '✓', '🚀']],
    ['a=b* ? [x]', ['a=b*', '?', '[x]']],
  ])('%j → %j', (input, words) => {
    expect(splitCommandWords(input)).toEqual(words);
  });
});

describe('splitCommandWords: refusals', () => {
  it.each<[string, RegExp]>([
    ['apps:list; apps:destroy web', /the shell operator ';' at character 10/],
    ['apps:list && apps:destroy web', /the shell operator '&'/],
    ['apps:list || true', /the shell operator '\|'/],
    ['apps:list | cat', /the shell operator '\|'/],
    ['apps:list &', /the shell operator '&'/],
    ['apps:create $(id)', /a \$ expansion/],
    ['apps:create "$(id)"', /a \$ expansion/],
    ['apps:create `id`', /a backtick command substitution/],
    ['apps:create "`id`"', /a backtick command substitution/],
    ['apps:create ${HOME}', /a \$ expansion/],
    ['config:set web "K=$HOME"', /a \$ expansion/],
    ['apps:list > /tmp/out', /the redirection '>'/],
    ['apps:list >> /tmp/out', /the redirection '>'/],
    ['apps:list < /etc/passwd', /the redirection '<'/],
    ['apps:list 2>&1', /the redirection '>'/],
    ['apps:list\napps:destroy web', /a line break separates commands/],
    ['apps:list\r', /a line break separates commands/],
    ['apps:list \\\n--format json', /a line continuation/],
    ["apps:create 'web", /an unterminated single quote/],
    ['apps:create "web', /an unterminated double quote/],
    ['apps:create "web\\"', /an unterminated double quote/],
    ['apps:create web\\', /a trailing backslash/],
    ['apps:list # comment', /a # comment/],
    ['(apps:list)', /the subshell '\('/],
    ['apps:create web\0x', /a NUL byte/],
    ['config:set web "K=a\0b"', /a NUL byte/],
  ])('%j', (input, expected) => {
    const msg = refusal(input);
    expect(msg).toMatch(/^Refusing command: /);
    expect(msg).toMatch(expected);
    expect(msg).toMatch(/quote it if it is meant literally$/);
  });

  it('names the character position of the first offending character', () => {
    expect(refusal('a b;c')).toMatch(/at character 4;/);
    expect(refusal('`x`')).toMatch(/at character 1;/);
  });
});

describe('splitCommandWords agrees with a real POSIX shell', () => {
  it('on the accepted examples above', () => {
    const inputs = ["config:set web 'A=two words'", 'a\\ b "c \\" d" \'e\'\\\'\'f\'', "K='x\ny'", '"a\\\nb" c#d', "'' \"\"", 'é "✓ x"'];
    for (const input of inputs) expect(splitCommandWords(input), input).toEqual(shellWords(input));
  });

  it('on random strings: whatever it accepts, sh splits into the same words', () => {
    const seed = testSeed();
    const rand = seededRandom(seed);
    // Mostly characters that only quote or separate; now and then one a shell would act on.
    const common = ['a', 'b', 'é', ' ', ' ', '\t', "'", "'", '"', '"', '\\', '\\', '#', '=', '*', '{', '}'];
    const rare = ['\n', ';', '&', '|', '>', '<', '$', '(', ')', '`'];
    let accepted = 0;
    let attempts = 0;
    while (accepted < 250 && attempts < 20_000) {
      attempts++;
      const length = 1 + Math.floor(rand() * 12);
      let input = '';
      for (let i = 0; i < length; i++) {
        const from = rand() < 0.04 ? rare : common;
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
      expect(shellWords(input), `seed ${seed}: input ${JSON.stringify(input)}`).toEqual(words);
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
