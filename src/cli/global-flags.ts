import type { CAC, Command } from 'cac';
import { UsageError } from '../lib/errors.ts';

/**
 * Dokku's flags before the command word: `dokku --quiet apps:list`, `dokku --app web config`,
 * `dokku --force apps:destroy web`, `dokku --trace …`. They are read here, before the command's
 * own parser sees anything, and turned into the words the command already understands.
 */
export interface GlobalFlags {
  quiet: boolean;
  trace: boolean;
  force: boolean;
  app?: string;
}

export function takeGlobalFlags(words: string[]): { flags: GlobalFlags; rest: string[] } {
  const flags: GlobalFlags = { quiet: false, trace: false, force: false };
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--quiet') flags.quiet = true;
    else if (w === '--trace') flags.trace = true;
    else if (w === '--force') flags.force = true;
    else if (w === '--app' || w.startsWith('--app=')) {
      const value = w === '--app' ? words[++i] : w.slice('--app='.length);
      if (value === undefined || value === '' || value.startsWith('-')) throw new UsageError('--app needs an app name', '--app APP COMMAND [ARGS]');
      flags.app = value;
    } else break;
  }
  return { flags, rest: words.slice(i) };
}

export function findCommand(cli: CAC, word: string | undefined): Command | undefined {
  if (word === undefined) return undefined;
  return cli.commands.find((c) => c.isMatched(word));
}

/**
 * The command's words with the global flags applied: `--app APP` becomes its first argument, as
 * Dokku inserts it, so it meets the same access check as an app named in place; `--force` is
 * passed to a command that has it and means nothing to one that has not (as in Dokku).
 */
export function applyGlobalFlags(command: Command | undefined, words: string[], flags: GlobalFlags): string[] {
  const [verb, ...args] = words;
  if (verb === undefined) {
    if (flags.app !== undefined || flags.force) throw new UsageError('Give a command after the global flags', '[--quiet|--trace|--force|--app APP] COMMAND [ARGS]');
    return words;
  }
  if (!command) return words;
  const out = [verb];
  if (flags.app !== undefined) {
    if (command.args.length === 0) throw new UsageError(`${command.name} does not take an app, so --app cannot name one`);
    out.push(flags.app);
  }
  out.push(...args);
  if (flags.force && command.options.some((o) => o.names.includes('force'))) out.push('--force');
  return out;
}

/**
 * A `:report`'s single-field flag (`--deployed`, `--app-locked`): any `--word` the command does not
 * declare. Dokku takes one at most.
 */
export function takeReportFlag(command: Command | undefined, words: string[]): { flag?: string; rest: string[] } {
  if (!command || !command.name.endsWith(':report')) return { rest: words };
  const declared = new Set(['help', 'h', ...command.options.flatMap((o) => o.names)]);
  const end = words.indexOf('--');
  const found: string[] = [];
  const rest = words.filter((w, i) => {
    if (end >= 0 && i >= end) return true;
    if (!/^--[a-z0-9]/.test(w)) return true;
    const name = w.slice(2).split('=')[0]!;
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (declared.has(name) || declared.has(camel)) return true;
    found.push(w);
    return false;
  });
  if (found.length > 1) throw new UsageError(`${command.name} command allows only a single flag`);
  return { flag: found[0], rest };
}
