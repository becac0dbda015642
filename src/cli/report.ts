import { validateAppName } from '../lib/validate.ts';
import type { Database } from '../state/db.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import type { Context } from '../app/context.ts';
import { renderReport, reportJson, type Format, type ReportFields } from '../lib/output.ts';
import { toJson } from './common.ts';

export interface AppReport {
  fields: ReportFields;
  /** Structured extras for `--format json` only (e.g. the container list). */
  json?: Record<string, unknown>;
}

export interface ReportRequest {
  /** The app named, or none for every app the caller may see. */
  name: string | undefined;
  format: Format;
  /** With `--global`: the settings every app falls back on, shown alone as `Global <title>`. */
  global?: ReportFields;
}

/**
 * Dokku's `:report` shape for every namespace: one section per app, titled by the app's name and
 * `title` (every app the caller may see when none is named), or with `--format json` one object
 * of kebab-case keys, keyed by app name when all apps are shown.
 */
export async function printAppReports(
  ctx: Context,
  db: Database,
  req: ReportRequest,
  title: string,
  report: (app: AppRow) => AppReport | Promise<AppReport>,
): Promise<void> {
  if (req.global) {
    if (req.format === 'json') ctx.io.out(toJson(reportJson(req.global)));
    else for (const line of renderReport(`Global ${title}`, req.global)) ctx.io.out(line);
    return;
  }
  const { name, format } = req;
  const apps = name === undefined ? listApps(db).filter((a) => !ctx.visibleApps || ctx.visibleApps.has(a.id)) : [requireApp(db, validateAppName(name))];
  const out: Record<string, unknown> = {};
  for (const app of apps) {
    const r = await report(app);
    if (format === 'json') out[app.name] = { ...reportJson(r.fields), ...r.json };
    else for (const line of renderReport(`${app.name} ${title}`, r.fields)) ctx.io.out(line);
  }
  if (format === 'json') ctx.io.out(toJson(name === undefined ? out : out[apps[0]!.name]));
}
