/**
 * Dokku's output conventions: `=====> ` opens a section, `-----> ` marks a step, seven spaces
 * indent detail, ` !     ` starts an error line. Reports come as aligned "Label: value" rows or,
 * with `--format json`, as one object keyed by the label in kebab case.
 */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const section = (title: string): string => `=====> ${title}`;
export const step = (text: string): string => `-----> ${text}`;
export const detail = (text: string): string => `       ${text}`;
export const errorLine = (text: string): string => ` !     ${text}`;

export type ReportFields = Array<[label: string, value: string | number | boolean | null]>;

export function renderReport(title: string, fields: ReportFields): string[] {
  const width = Math.max(0, ...fields.map(([l]) => l.length)) + 2;
  return [section(title), ...fields.map(([label, value]) => detail(`${`${label}:`.padEnd(width)}${value ?? ''}`.trimEnd()))];
}

export const reportKey = (label: string): string => label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function reportJson(fields: ReportFields): Record<string, string> {
  return Object.fromEntries(fields.map(([label, value]) => [reportKey(label), value === null ? '' : String(value)]));
}

export type Format = 'text' | 'json';
