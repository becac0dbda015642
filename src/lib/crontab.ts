import { UserError } from './errors.ts';

/**
 * The block of the dokku user's crontab one dokku root owns, as text. Pure. Every line is a shell
 * line to cron, so nothing a user typed reaches it: app names and task ids are validated words, the
 * task's command is read from the log by `cron:run`, and the paths (set by the admin who installed
 * dokku) are single-quoted and refused if cron would read them otherwise (`%` is a line break to cron).
 */

export interface CrontabEntry {
  app: string;
  id: string;
  schedule: string;
}

export interface CrontabInput {
  /** DOKKU_ROOT: names the block, so two roots on one host keep their own. */
  root: string;
  /** argv of this program (lib/self.ts selfCommand). */
  self: string[];
  /** The environment dokku needs (DOKKU_*, DOCKER_HOST), set before the lines. */
  env: Record<string, string>;
  /** `cron:set --global mailto`, and per app. */
  mailto: string;
  apps: Array<{ app: string; mailto: string; logFile: string; entries: CrontabEntry[] }>;
  /** Services' scheduled backups (`postgres:backup-schedule`). */
  services?: ServiceBackupEntry[];
}

export interface ServiceBackupEntry {
  kind: string;
  name: string;
  schedule: string;
  logFile: string;
}

/** One service's backup line: `<schedule> <self> <kind>:backup <name>`, its output appended to its log. */
export function serviceBackupLine(self: string[], e: ServiceBackupEntry): string {
  if (!/^[a-z][a-z0-9]*$/.test(e.kind) || !/^[a-z0-9-]+$/.test(e.name) || /[\n\r%'\0]/.test(e.schedule)) throw new UserError(`The crontab cannot hold the backup of ${e.kind} service ${e.name}`);
  return `${e.schedule} ${self.map((w) => quote(w, 'the path')).join(' ')} ${e.kind}:backup ${quote(e.name, 'the service')} >> ${quote(e.logFile, 'the log file')} 2>&1`;
}

const quote = (word: string, what: string): string => {
  if (/['%\n\r\0]/.test(word)) throw new UserError(`The crontab cannot hold ${what} '${word}': it has a quote, % or a line break`);
  return `'${word}'`;
};

const envLine = (key: string, value: string): string => {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /["\n\r\0]/.test(value)) throw new UserError(`The crontab cannot hold the environment variable ${key}`);
  return `${key}="${value}"`;
};

export const blockStart = (root: string) => `# BEGIN dokku ${root}`;
export const blockEnd = (root: string) => `# END dokku ${root}`;

/** The root's block, or '' when it schedules nothing. */
export function renderCrontabBlock(input: CrontabInput): string {
  const apps = input.apps.filter((a) => a.entries.length > 0);
  const services = input.services ?? [];
  if (apps.length === 0 && services.length === 0) return '';
  const lines = [blockStart(input.root), '# Written by dokku from app.json cron tasks (cron:list); edits inside this block are replaced.'];
  for (const [k, v] of Object.entries(input.env).sort(([a], [b]) => a.localeCompare(b))) lines.push(envLine(k, v));
  lines.push(envLine('SHELL', '/bin/sh'), envLine('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
  const self = input.self.map((w) => quote(w, 'the path')).join(' ');
  for (const a of apps) {
    lines.push(envLine('MAILTO', a.mailto || input.mailto));
    for (const e of a.entries) {
      if (!/^[a-z0-9-]+$/.test(a.app) || !/^[0-9a-f]{12}$/.test(e.id) || /[\n\r%'\0]/.test(e.schedule)) throw new UserError(`The crontab cannot hold task ${e.id} of ${a.app}`);
      lines.push(`${e.schedule} ${self} cron:run ${quote(a.app, 'the app')} ${e.id} >> ${quote(a.logFile, 'the log file')} 2>&1`);
    }
  }
  if (services.length) lines.push(envLine('MAILTO', input.mailto));
  for (const e of services) lines.push(serviceBackupLine(input.self, e));
  lines.push(blockEnd(input.root));
  return `${lines.join('\n')}\n`;
}

/** The whole crontab with the root's block put in (or taken out, for ''), other lines untouched. */
export function replaceCrontabBlock(existing: string, root: string, block: string): string {
  const start = blockStart(root);
  const end = blockEnd(root);
  const lines = existing.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line === start) inside = true;
    else if (line === end) inside = false;
    else if (!inside) out.push(line);
  }
  const rest = out.join('\n').replace(/\n+$/, '');
  const body = rest === '' ? '' : `${rest}\n`;
  return `${body}${block}`;
}
