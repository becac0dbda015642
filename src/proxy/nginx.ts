import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import type { Settings } from '../lib/settings.ts';
import { splitCommandWords } from '../lib/words.ts';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GENERATION_PATH, renderGlobalInclude } from './vhost.ts';

/**
 * The thin layer between rendered text and the running nginx: files are replaced atomically, the
 * whole configuration is checked with `nginx -t`, and on failure every file goes back to what it
 * was and nginx's own message is the error. Commands come from settings as words, never a shell.
 */

export class NginxConfigError extends UserError {
  constructor(readonly output: string) {
    super(`nginx refused the new configuration; nothing was changed:\n${indent(output)}`);
    this.name = 'NginxConfigError';
  }
}

const indent = (text: string): string =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `       ${l}`)
    .join('\n');

/** A file to put in place (text) or take away (null). */
export interface FileChange {
  path: string;
  text: string | null;
  /** File mode when written (0644 unless a private key). */
  mode?: number;
  /**
   * False for a file nginx reads only through a vhost that is not there (a certificate of an app
   * that is not routed): writing it needs no check and no reload.
   */
  checked?: boolean;
  /** For a vhost: where nginx says which generation it serves, so a reload can be awaited. */
  probe?: GenerationProbe;
}

export interface GenerationProbe {
  scheme: 'http' | 'https';
  address: string;
  port: number;
  host: string;
  generation: string;
}

export interface CommandResult {
  code: number;
  output: string;
}

export function runWords(commandLine: string, timeoutMs = 60_000): Promise<CommandResult> {
  const [command, ...args] = splitCommandWords(commandLine);
  if (!command) throw new UserError('Empty nginx command in settings');
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: `${command}: ${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/**
 * nginx quotes the offending text of whatever file it was made to read, and `nginx -t` runs with
 * root's rights: a line that points into a file outside dokku's own configuration (`… in
 * /etc/shadow:1`) is shown as its location only, never its text.
 */
export function shownNginxOutput(output: string, dirs: string[]): string {
  const inside = (file: string) => dirs.some((d) => {
    const rel = relative(resolve(d), resolve(file));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
  return output
    .split('\n')
    .map((line) => {
      const at = / in (\/[^\s]*):(\d+)\s*$/.exec(line);
      if (!at || inside(at[1]!)) return line;
      const level = /\[(\w+)\]/.exec(line)?.[1] ?? 'emerg';
      return `nginx: [${level}] an error in ${at[1]}:${at[2]} (not shown: outside dokku's configuration)`;
    })
    .join('\n');
}

export const globalIncludePath = (settings: Settings): string => join(settings.nginxConfDir, 'dokku.conf');

export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Write to a temporary file beside the target and rename over it: readers see old or new, never half. */
function putFile(change: FileChange): void {
  if (change.text === null) {
    rmSync(change.path, { force: true });
    return;
  }
  mkdirSync(dirname(change.path), { recursive: true });
  const tmp = `${change.path}.${process.pid}.tmp`;
  writeFileSync(tmp, change.text, { mode: change.mode ?? 0o644 });
  renameSync(tmp, change.path);
}

/** nginx reloaded but did not serve the new vhosts in time: it still serves the previous ones. */
export class NginxNotServingError extends UserError {
  constructor(readonly late: number) {
    super(`nginx did not serve ${late === 1 ? 'the new vhost' : `${late} new vhosts`} within ${GENERATION_WAIT_MS / 1000} s of the reload (it keeps the previous configuration when it cannot apply one, e.g. a port it cannot bind: see its error log)`);
    this.name = 'NginxNotServingError';
  }
}

export interface Staged {
  /** False when every file already said this: no check, no reload needed. */
  changed: boolean;
  /**
   * Reloads nginx so it serves what was staged. With `confirm`, a reload nginx did not take
   * within the wait throws NginxNotServingError (the files stay; the caller restores them);
   * otherwise it says so on stderr.
   */
  commit(opts?: { confirm?: boolean }): Promise<void>;
  /** Puts every file back as it was. */
  restore(): void;
}

/**
 * Puts the files in place (plus the global include file) and checks the whole configuration.
 * If nginx refuses it, every file is restored before the NginxConfigError is thrown.
 */
export async function stageFiles(settings: Settings, changes: FileChange[], opts: { force?: boolean } = {}): Promise<Staged> {
  const all = [{ path: globalIncludePath(settings), text: renderGlobalInclude(settings.root) }, ...changes];
  const previous: FileChange[] = all.map((c) => ({ path: c.path, text: readIfExists(c.path), ...(c.mode ? { mode: c.mode } : {}) }));
  const needed = all.filter((c, i) => c.text !== previous[i]!.text);
  // Only a change nginx reads (or a forced rebuild) is checked and reloaded, and only then is the
  // include file written: without a vhost to change, no nginx is needed at all.
  const checked = opts.force === true || needed.some((c) => c !== all[0] && c.checked !== false);
  const toWrite = checked ? needed : needed.filter((c) => c !== all[0]);
  if (toWrite.length === 0 && !checked) return { changed: false, commit: async () => {}, restore: () => {} };
  const restore = () => {
    for (const p of previous) if (toWrite.some((c) => c.path === p.path)) putFile(p);
  };
  try {
    for (const c of toWrite) putFile(c);
  } catch (err) {
    restore();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM') throw new UserError(`Cannot write ${e.path ?? 'the nginx configuration'}: ${e.code} (run the installer, or give the dokku user that directory)`);
    throw err;
  }
  if (!checked) return { changed: false, commit: async () => {}, restore };
  const test = await runWords(settings.nginxTest);
  if (test.code !== 0) {
    restore();
    throw new NginxConfigError(test.output ? shownNginxOutput(test.output, [settings.root, settings.nginxConfDir]) : `${settings.nginxTest} exited ${test.code}`);
  }
  return {
    changed: true,
    restore,
    commit: async (commitOpts = {}) => {
      const reload = await runWords(settings.nginxReload);
      if (reload.code !== 0) throw new UserError(`nginx reload failed (${settings.nginxReload}):\n${indent(reload.output)}`);
      // A reload returns before nginx has loaded anything: wait until the new vhosts answer.
      const probes = toWrite.flatMap((c) => (c.text !== null && c.probe ? [c.probe] : []));
      const late = (await Promise.all(probes.map((p) => awaitGeneration(p)))).filter((ok) => !ok).length;
      if (late && commitOpts.confirm) throw new NginxNotServingError(late);
      if (late) process.stderr.write(` !     nginx did not serve ${late} new vhost${late === 1 ? '' : 's'} within ${GENERATION_WAIT_MS / 1000} s of the reload; check its error log\n`);
    },
  };
}

const GENERATION_WAIT_MS = 10_000;

function askGeneration(p: GenerationProbe): Promise<string> {
  return new Promise((resolve) => {
    const options = { host: p.address || '127.0.0.1', port: p.port, path: GENERATION_PATH, headers: { Host: p.host }, agent: false as const, timeout: 1000 };
    const req = (p.scheme === 'https' ? httpsRequest({ ...options, servername: p.host, rejectUnauthorized: false }) : httpRequest(options));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      // The header answers even when a plugin's include returns at server level (a maintenance page).
      const header = res.headers['x-dokku-generation'];
      res.on('end', () => resolve(typeof header === 'string' ? header : body.trim()));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
    req.end();
  });
}

/**
 * Polls the vhost until nginx serves this generation of it; false after GENERATION_WAIT_MS. Old
 * workers keep accepting for a moment after new ones start, so one answer is not enough: it takes
 * several in a row, each on a new connection.
 */
export async function awaitGeneration(p: GenerationProbe, timeoutMs = GENERATION_WAIT_MS, streak = 5): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let inARow = 0;
  while (Date.now() < end) {
    inARow = (await askGeneration(p)) === p.generation ? inARow + 1 : 0;
    if (inARow >= streak) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** Reloads nginx with what is on disk; false if the reload command failed. */
export async function reload(settings: Settings): Promise<boolean> {
  return (await runWords(settings.nginxReload)).code === 0;
}

/** Starts, stops or reloads the nginx server with the configured command (words, no shell). */
export function controlServer(settings: Settings, action: 'start' | 'stop' | 'reload'): Promise<CommandResult> {
  return runWords(action === 'start' ? settings.nginxStart : action === 'stop' ? settings.nginxStop : settings.nginxReload);
}

/** Checks the configuration as it is on disk. */
export function checkConfig(settings: Settings): Promise<CommandResult> {
  return runWords(settings.nginxTest);
}

const LOCK_WAIT_MS = 120_000;

/**
 * One writer of nginx files at a time on this host (`nginx -t` checks every app's file, so one
 * writer's half-done change must not fail another's check). A holder that died is taken over.
 */
export function withNginxLock<T>(settings: Settings, fn: () => Promise<T>): Promise<T> {
  const path = join(settings.root, '.nginx.lock');
  return withLock(path, {
    actor: 'a writer of nginx files',
    pollMs: 25,
    timeoutMs: LOCK_WAIT_MS,
    timedOut: () => new UserError(`Another dokku process has held ${path} for over ${LOCK_WAIT_MS / 1000} s; remove it if that process is gone`),
  }, fn);
}
