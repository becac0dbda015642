import { UserError } from './errors.ts';

/**
 * Splits an SSH command string into words the way a POSIX shell would quote them, without ever
 * evaluating anything. Anything that would make a shell do more than split words (operators,
 * redirections, substitutions, comments, unbalanced quotes) is refused, so what the user typed
 * either means exactly a list of words or nothing runs at all.
 */
export function splitCommandWords(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const refuse = (what: string): never => {
    throw new UserError(`Refusing command: ${what} at character ${i + 1}; quote it if it is meant literally`);
  };

  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') refuse('a line break separates commands');
    if (c === ';' || c === '&' || c === '|') refuse(`the shell operator '${c}'`);
    if (c === '<' || c === '>') refuse(`the redirection '${c}'`);
    if (c === '(' || c === ')') refuse(`the subshell '${c}'`);
    if (c === '`') refuse('a backtick command substitution');
    if (c === '$') refuse('a $ expansion');
    if (c === '#' && !inWord) refuse('a # comment');
    if (c === '\0') refuse('a NUL byte');

    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) refuse('an unterminated single quote');
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= input.length) refuse('an unterminated double quote');
        const d = input[i]!;
        if (d === '"') break;
        if (d === '`') refuse('a backtick command substitution');
        if (d === '$') refuse('a $ expansion');
        if (d === '\0') refuse('a NUL byte');
        if (d === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1]!)) {
          // Inside double quotes a backslash escapes only these; an escaped newline vanishes.
          if (input[i + 1] !== '\n') word += input[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      inWord = true;
      i++;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= input.length) refuse('a trailing backslash');
      const next = input[i + 1]!;
      if (next === '\n') refuse('a line continuation');
      word += next;
      inWord = true;
      i += 2;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}

/** Quotes one word so a POSIX shell reads it back as exactly these bytes. */
export function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
