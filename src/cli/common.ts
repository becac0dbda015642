import { UsageError } from '../lib/errors.ts';
import { validateAppName } from '../lib/validate.ts';
import type { Format } from '../lib/output.ts';

/** Shared option handling for namespaces: output format, required positionals, `<app>|--global`. */

export function parseFormat(value: unknown, allowed: readonly string[] = ['text', 'json']): Format {
  const f = value === undefined ? 'text' : String(value);
  if (!allowed.includes(f)) throw new UsageError(`Unknown format '${f}': use one of ${allowed.join(', ')}`);
  return f as Format;
}

export function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`Missing ${what}`);
  return value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** `<app>` or `--global` as the first word of a settings command. */
export function appOrGlobal(app: string | undefined, global: boolean | undefined): string | undefined {
  if (global) return undefined;
  return validateAppName(requireArg(app, 'app name (or pass --global)'));
}
