import { createHash } from 'node:crypto';
import { printable } from './validate.ts';

/**
 * app.json's `cron` tasks as rules: a schedule cron accepts, a command that can be run, a stable id.
 * Pure: the crontab is rendered from these (lib/crontab.ts) and a task is run by `cron:run`.
 */

export interface CronTask {
  /** Stable for a (schedule, command) pair, as Dokku's ids are: suspending a task survives a redeploy. */
  id: string;
  schedule: string;
  command: string;
  /** app.json's own `maintenance: true`: listed, never scheduled. */
  maintenance?: boolean;
}

export const MAX_CRON_COMMAND = 4096;
export const MAX_CRON_TASKS = 100;

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Where index 0 of `names` sits (months start at 1). */
  base?: number;
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, base: 1 },
  // cron takes 7 for Sunday too.
  { name: 'day of week', min: 0, max: 7, names: DAYS, base: 0 },
];

function value(word: string, f: Field): number | undefined {
  if (/^\d{1,2}$/.test(word)) return Number(word);
  const i = f.names?.indexOf(word.toLowerCase()) ?? -1;
  return i >= 0 ? i + (f.base ?? 0) : undefined;
}

function fieldProblem(text: string, f: Field): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (extra.length || range === undefined || range === '') return `bad ${f.name} '${printable(text)}'`;
    if (step !== undefined && (!/^\d{1,2}$/.test(step) || Number(step) === 0 || Number(step) > f.max)) return `bad step in ${f.name} '${printable(text)}'`;
    if (range === '*') continue;
    const [lo, hi, ...more] = range.split('-');
    if (more.length) return `bad ${f.name} '${printable(text)}'`;
    const a = value(lo!, f);
    const b = hi === undefined ? a : value(hi, f);
    if (a === undefined || b === undefined || a < f.min || b > f.max || a > b) return `${f.name} '${printable(text)}' is outside ${f.min}-${f.max}`;
  }
  return undefined;
}

/** Why cron would not run the schedule as meant, or undefined: five fields or a macro. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith('@')) {
    if (s === '@reboot') return "'@reboot' is not a schedule here: a task runs in a container of the current release, and there is no reboot of it to follow";
    return MACROS.includes(s) ? undefined : `unknown schedule '${printable(s)}' (use five fields, or one of ${MACROS.join(' ')})`;
  }
  const fields = s.split(/\s+/);
  if (fields.length !== 5) return `a schedule has five fields (minute hour day month weekday), not ${fields.length}: '${printable(s)}'`;
  for (let i = 0; i < 5; i++) {
    const problem = fieldProblem(fields[i]!, FIELDS[i]!);
    if (problem) return problem;
  }
  return undefined;
}

/** Why the command cannot be a task, or undefined. */
export function cronCommandProblem(command: string): string | undefined {
  if (command.trim() === '') return 'the command is empty';
  if (command.length > MAX_CRON_COMMAND) return `the command is longer than ${MAX_CRON_COMMAND} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(command)) return 'the command has a control character (a NUL or a line break)';
  return undefined;
}

/** The id of a (schedule, command) pair: 12 hex characters of its sha256. */
export function cronId(schedule: string, command: string): string {
  return createHash('sha256').update(`${schedule.trim()}\0${command}`).digest('hex').slice(0, 12);
}

export const isCronId = (v: string): boolean => /^[0-9a-f]{12}$/.test(v);
