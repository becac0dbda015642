import type { CAC, Command } from 'cac';

/**
 * Commands whose words after their first few arguments are a program's own argv (`run`, `enter`):
 * `dokku run web python manage.py migrate --noinput` gives `--noinput` to python, not to dokku.
 */
const LEADING = new WeakMap<Command, number>();

/** Marks `command`: what follows its first `leading` arguments is handed on untouched. */
export function restIsRaw(command: Command, leading: number): Command {
  LEADING.set(command, leading);
  return command;
}

/**
 * For a marked command, puts `--` after its leading arguments so the parser leaves the rest alone
 * (it reaches the action as `options['--']`); dokku's own options before that point are parsed as
 * usual. One `--` the user wrote right there is the same separator, not a word of the program.
 */
export function protectRawRest(cli: CAC, words: string[]): string[] {
  const command = cli.commands.find((c) => c.name === words[0] || c.aliasNames.includes(words[0]!));
  const leading = command && LEADING.get(command);
  if (!command || leading === undefined) return words;
  const takesValue = new Set<string>();
  for (const o of [...cli.globalCommand.options, ...command.options]) {
    if (/[<[]/.test(o.rawName)) for (const name of o.names) takesValue.add(name.length === 1 ? `-${name}` : `--${name}`);
  }
  let seen = 0;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') return words;
    if (w.startsWith('-') && w !== '-') {
      if (takesValue.has(w)) i++;
      continue;
    }
    if (++seen === leading) {
      const rest = words.slice(i + 1);
      return [...words.slice(0, i + 1), '--', ...(rest[0] === '--' ? rest.slice(1) : rest)];
    }
  }
  return words;
}
