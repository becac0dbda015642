/**
 * Dokku's output conventions: `=====> ` opens a section, `-----> ` marks a step, seven spaces
 * indent detail, ` !     ` starts an error line. Reports come as aligned "Label: value" rows or,
 * with `--format json`, as one object keyed by the label in kebab case.
 *
 * Text that may carry what a user typed (error lines, report titles and values, audit lines) goes
 * through `escapeControls`, so a terminal shows control characters as `\xHH` instead of obeying
 * them; JSON output escapes them by itself.
 */
import { escapeControls } from './validate.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /**
   * Set when stdout is not a terminal, or with `--quiet` / DOKKU_QUIET_OUTPUT, as Dokku does: the
   * `=====>` title of a listing or report is left out, so a script reads bare rows.
   */
  quiet?: boolean;
}

export const section = (title: string): string => `=====> ${title}`;

/** A listing's or report's title, which a script does not want to see (deploy steps are not titles). */
export function header(io: Output, title: string): void {
  if (!io.quiet) io.out(section(escapeControls(title)));
}
export const step = (text: string): string => `-----> ${text}`;
export const detail = (text: string): string => `       ${text}`;
/**
 * An error as the user reads it. A message may go on in detail lines (a line break, then the
 * seven-space indent, as nginx's own output is shown); any other line break is escaped with the
 * other control characters, so nothing echoed in a message can start a line of its own.
 */
export const errorLine = (text: string): string => ` !     ${text.split(/\n(?= {7})/).map(escapeControls).join('\n')}`;

export type ReportFields = Array<[label: string, value: string | number | boolean | null]>;

export function renderReport(title: string, fields: ReportFields): string[] {
  const width = Math.max(0, ...fields.map(([l]) => l.length)) + 2;
  return [
    section(escapeControls(title)),
    ...fields.map(([label, value]) => detail(escapeControls(`${`${label}:`.padEnd(width)}${value ?? ''}`.trimEnd()))),
  ];
}

export const reportKey = (label: string): string => label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function reportJson(fields: ReportFields): Record<string, string> {
  return Object.fromEntries(fields.map(([label, value]) => [reportKey(label), value === null ? '' : String(value)]));
}

export type Format = 'text' | 'json';
