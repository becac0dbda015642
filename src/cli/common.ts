import { UsageError, UserError } from '../errors.ts';
import { appStream, GLOBAL_STREAM } from '../state/events.ts';
import { getSettings } from '../state/release-queries.ts';
import { decideSetting } from '../state/settings-schema.ts';
import { validateAppName } from '../validate.ts';
import { decideApp, type AppCommand } from '../state/deciders.ts';
import { execute } from '../state/execute.ts';
import type { Database } from '../state/db.ts';
import { appState, findApp, findAppById, listApps, requireApp, type AppRow } from '../state/queries.ts';
import type { StoredEvent } from '../state/events.ts';
import type { Context } from './context.ts';
import { renderReport, reportJson, type Format, type ReportFields } from './output.ts';

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

/** Runs an app command through its decider against the app's current state. */
export async function runAppCommand(ctx: Context, name: string, command: AppCommand): Promise<{ app: AppRow; events: StoredEvent[] }> {
  const store = await ctx.store();
  const app = requireApp(store.db, name);
  const events = execute(
    store,
    appStream(app.id),
    () => {
      // Re-read by id on each attempt: a concurrent writer may have renamed or destroyed it.
      const current = findAppById(store.db, app.id);
      if (!current) throw new UserError(`App ${name} does not exist`);
      return appState(store.db, current);
    },
    (state) => decideApp(command, state, { nameTaken: (n) => findApp(store.db, n) !== undefined }),
    ctx.actor,
  );
  return { app, events };
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Changes one setting (app scope, or global when `app` is undefined) through its schema. */
export async function setSetting(ctx: Context, app: string | undefined, namespace: string, key: string, value: string | null): Promise<boolean> {
  const store = await ctx.store();
  const { db } = store;
  const appRow = app === undefined ? undefined : requireApp(db, app);
  const scope = appRow?.id ?? '';
  const stream = appRow ? appStream(appRow.id) : GLOBAL_STREAM;
  const events = execute(
    store,
    stream,
    () => getSettings(db, scope, namespace)[key],
    (current) => decideSetting(namespace, key, value, current, appRow === undefined),
    ctx.actor,
  );
  return events.length > 0;
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
