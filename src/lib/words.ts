import { UserError } from './errors.ts';

/**
 * Splits an SSH command string into words the way a POSIX shell splits and unquotes them (blanks
 * separate; single quotes, double quotes and backslashes quote), and does nothing else: the words
 * never reach a shell, so `;`, `&`, `|`, `<`, `>`, `$`, `(`, `)`, backticks and `#` are plain
 * characters of a word, and each word is validated by the command that receives it. Refused: what
 * would make the text more than one line of words (an unquoted line break, a line continuation),
 * an unterminated quote, a trailing backslash, a NUL byte anywhere, and other control characters
 * outside quotes.
 */
export function splitCommandWords(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const refuse = (what: string, hint = ''): never => {
    throw new UserError(`Refusing command: ${what} at character ${i + 1}${hint}`);
  };
  /**
   * Unquoted, a control character (other than tab and the line breaks handled apart) is refused;
   * quoted, it is part of a value, and every output escapes it.
   */
  const checkControl = (c: string): void => {
    if (c === '\0') refuse('a NUL byte');
    const code = c.charCodeAt(0);
    if ((code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || (code >= 0x7f && code <= 0x9f)) {
      refuse(`the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
    }
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
    if (c === '\n' || c === '\r') refuse('a line break', '; send one command at a time, or quote it if it is part of a value');
    checkControl(c);

    if (c === "'") {
      const start = i;
      const end = input.indexOf("'", start + 1);
      if (end < 0) refuse('an unterminated single quote');
      for (i = start + 1; i < end; i++) if (input[i] === '\0') refuse('a NUL byte');
      word += input.slice(start + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= input.length) {
          i = start;
          refuse('an unterminated double quote');
        }
        const d = input[i]!;
        if (d === '"') break;
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
      i++;
      if (next === '\0') refuse('a NUL byte');
      word += next;
      inWord = true;
      i++;
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
