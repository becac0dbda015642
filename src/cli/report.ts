import { validateAppName } from '../lib/validate.ts';
import type { Database } from '../state/db.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import type { Context } from '../app/context.ts';
import { detail, header, reportKey, type Format, type ReportFields } from '../lib/output.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { escapeControls } from '../lib/validate.ts';

export interface AppReport {
  /** Dokku's fields for the namespace, labelled as Dokku labels them; shown sorted, as Dokku does. */
  fields: ReportFields;
  /** Fields Dokku does not have, shown after Dokku's in the order given. */
  extra?: ReportFields;
}

export interface ReportRequest {
  /** The app named, or none for every app the caller may see. */
  name: string | undefined;
  format: Format;
  /** With `--global`: the settings every app falls back on, shown alone as `Global <title>`. */
  global?: ReportFields;
}

/** Dokku pads every label to at least this many characters (its flags' length, `--` included). */
const MIN_WIDTH = 31;

/** `--app-locked` for `App locked`: a field's single-field flag is its label in kebab case. */
export const fieldFlag = (label: string): string => `--${reportKey(label)}`;

/**
 * Dokku's `:report` shape for every namespace: one section per app, titled by the app's name and
 * `title` (every app the caller may see when none is named); rows sorted by flag and padded as
 * Dokku pads them. `--format json` is one compact object of string values per app, keyed by the
 * flags without their dashes. With a single-field flag (`ctx.reportFlag`, e.g. `--app-locked`)
 * only that field's value is printed, one line per app.
 */
export async function printAppReports(
  ctx: Context,
  db: Database,
  req: ReportRequest,
  title: string,
  report: (app: AppRow) => AppReport | Promise<AppReport>,
): Promise<void> {
  const flag = ctx.reportFlag;
  if (flag !== undefined && req.format !== 'text') throw new UsageError('--format flag cannot be specified when specifying an info flag');
  if (req.global) {
    printOne(ctx, `Global ${title}`, orderedRows({ fields: req.global }), req.format, flag);
    return;
  }
  const { name, format } = req;
  const apps = name === undefined ? listApps(db).filter((a) => !ctx.visibleApps || ctx.visibleApps.has(a.id)) : [requireApp(db, validateAppName(name))];
  for (const app of apps) printOne(ctx, `${app.name} ${title}`, orderedRows(await report(app)), format, flag);
}

function orderedRows(r: AppReport): ReportFields {
  const sorted = [...r.fields].sort(([a], [b]) => (fieldFlag(a) < fieldFlag(b) ? -1 : fieldFlag(a) > fieldFlag(b) ? 1 : 0));
  return [...sorted, ...(r.extra ?? [])];
}

const shown = (value: ReportFields[number][1]): string => (value === null ? '' : String(value));

function printOne(ctx: Context, title: string, rows: ReportFields, format: Format, flag: string | undefined): void {
  const { io } = ctx;
  if (flag !== undefined) {
    const row = rows.find(([label]) => fieldFlag(label) === flag);
    if (!row) throw new UserError(`Invalid flag passed, valid flags: ${rows.map(([l]) => fieldFlag(l)).sort().join(', ')}`);
    io.out(escapeControls(shown(row[1])));
    return;
  }
  if (format === 'json') {
    io.out(JSON.stringify(Object.fromEntries(rows.map(([label, value]) => [reportKey(label), shown(value)]))));
    return;
  }
  const width = Math.max(MIN_WIDTH, ...rows.map(([l]) => fieldFlag(l).length));
  header(io, title);
  for (const [label, value] of rows) io.out(detail(escapeControls(`${`${label}:`.padEnd(width)}${shown(value)}`.trimEnd())));
}
