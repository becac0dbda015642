import { UsageError } from '../lib/errors.ts';
import { validateAppName } from '../lib/validate.ts';
import type { Database } from '../state/db.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import type { Context } from '../app/context.ts';
import { renderReport, reportJson, type Format, type ReportFields } from '../lib/output.ts';

/** Shared option handling for namespaces: output format, required positionals. */

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

export interface AppReport {
  fields: ReportFields;
  /** Structured extras for `--format json` only (e.g. the container list). */
  json?: Record<string, unknown>;
}

/**
 * Dokku's `:report` shape for every namespace: one section per app (every app when none is named),
 * or with `--format json` one object of kebab-case keys, keyed by app name when all apps are shown.
 */
export async function printAppReports(
  ctx: Context,
  db: Database,
  name: string | undefined,
  format: Format,
  title: string,
  report: (app: AppRow) => AppReport | Promise<AppReport>,
): Promise<void> {
  const apps = name === undefined ? listApps(db) : [requireApp(db, validateAppName(name))];
  const out: Record<string, unknown> = {};
  for (const app of apps) {
    const r = await report(app);
    if (format === 'json') out[app.name] = { ...reportJson(r.fields), ...r.json };
    else for (const line of renderReport(`${app.name} ${title}`, r.fields)) ctx.io.out(line);
  }
  if (format === 'json') ctx.io.out(toJson(name === undefined ? out : out[name]));
}
