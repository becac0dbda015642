import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { constants } from 'node:os';
import { LineFramer } from '../lib/lines.ts';
import { handlersOf } from './catalog.ts';
import { coreBinDir, ensureCoreFiles } from './core-files.ts';
import type { PluginDirs } from './dirs.ts';

/** Dokku's exit code for "this plugin's `commands` does not implement that command: ask the next". */
export const NOT_IMPLEMENTED_EXIT = 10;

/** What a captured trigger may print (docker options, a report section) before it is cut. */
const MAX_CAPTURED_BYTES = 1024 * 1024;
/** Lines of a failing plugin's output kept for the error. */
const TAIL_LINES = 20;

/** The environment plugin code runs in: the caller's (NAME, FINGERPRINT), Dokku's paths, and `dokku` first on PATH. */
export function pluginEnv(dirs: PluginDirs, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A plugin's own call to dokku is a command of its own, never the SSH line that started this one.
  delete env.SSH_ORIGINAL_COMMAND;
  return {
    ...env,
    DOKKU_ROOT: dirs.dokkuRoot,
    DOKKU_LIB_ROOT: dirs.libRoot,
    PLUGIN_PATH: dirs.root,
    PLUGIN_AVAILABLE_PATH: dirs.available,
    PLUGIN_ENABLED_PATH: dirs.enabled,
    PLUGIN_CORE_PATH: dirname(dirs.core),
    PLUGIN_CORE_AVAILABLE_PATH: dirs.core,
    DOKKU_NOT_IMPLEMENTED_EXIT: String(NOT_IMPLEMENTED_EXIT),
    DOKKU_VALID_EXIT: '0',
    PATH: `${coreBinDir(dirs)}:${env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`,
  };
}

let coreWritten = false;
/** Writes the core files once per process, before the first plugin program runs. */
function prepare(dirs: PluginDirs, self: readonly string[]): void {
  if (coreWritten) return;
  ensureCoreFiles(dirs, self);
  coreWritten = true;
}

export interface TriggerFailure {
  plugin: string;
  code: number;
  /** The last lines it printed (stdout and stderr). */
  tail: string[];
}

export interface TriggerOutcome {
  /** What the plugins printed on stdout, in plugin order, when captured. */
  stdout: string;
  /** The plugins that ran, in order. */
  ran: string[];
  /** The first plugin that exited non-zero; the ones after it did not run (as plugn stops). */
  failed?: TriggerFailure;
}

export interface TriggerOptions {
  /** Read the plugins' stdout instead of showing it. */
  capture: boolean;
  /** Where shown output (and stderr, unless `onErrorLine`) goes, line by line. */
  onLine: (line: string) => void;
  onErrorLine?: (line: string) => void;
  /** Given to each plugin on stdin; none: stdin is empty. */
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  /** How to run dokku again (lib/self.ts `selfCommand`), for the `dokku` on plugins' PATH. */
  self: readonly string[];
}

/**
 * Runs `trigger` of every enabled plugin that has it, one after the other in plugin order, with
 * `args`; stops at the first that exits non-zero. Nothing is started when no plugin handles it.
 */
export async function runTrigger(dirs: PluginDirs, trigger: string, args: readonly string[], opts: TriggerOptions): Promise<TriggerOutcome> {
  const handlers = handlersOf(dirs, trigger);
  const outcome: TriggerOutcome = { stdout: '', ran: [] };
  if (handlers.length === 0) return outcome;
  prepare(dirs, opts.self);
  const env = pluginEnv(dirs, opts.env);
  for (const { plugin, file } of handlers) {
    outcome.ran.push(plugin);
    const r = await runOne(file, args, env, opts);
    if (opts.capture) outcome.stdout += r.stdout.length && !r.stdout.endsWith('\n') ? `${r.stdout}\n` : r.stdout;
    if (r.code !== 0) {
      outcome.failed = { plugin, code: r.code, tail: r.tail };
      break;
    }
  }
  return outcome;
}

function runOne(file: string, args: readonly string[], env: NodeJS.ProcessEnv, opts: TriggerOptions): Promise<{ code: number; stdout: string; tail: string[] }> {
  return new Promise((resolve) => {
    const tail: string[] = [];
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    const show = (line: string) => {
      keep(line);
      opts.onLine(line);
    };
    let stdout = '';
    const child = spawn(file, [...args], { env, cwd: dirname(file), stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    child.stdin?.on('error', () => undefined);
    const out = new LineFramer();
    const err = new LineFramer();
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!opts.capture) return out.push(chunk).forEach(show);
      if (stdout.length < MAX_CAPTURED_BYTES) stdout += chunk.toString('utf8');
    });
    const showError = (line: string) => {
      keep(line);
      (opts.onErrorLine ?? opts.onLine)(line);
    };
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk).forEach(showError));
    child.on('error', (e) => {
      show(`${(e as NodeJS.ErrnoException).code === 'ENOEXEC' || (e as NodeJS.ErrnoException).code === 'EACCES' ? 'cannot run it' : 'cannot start it'}: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      out.flush().forEach(show);
      err.flush().forEach(showError);
      if (opts.capture) for (const line of stdout.split('\n').slice(-TAIL_LINES)) if (line) keep(line);
      resolve({ code: exitCode(code, signal), stdout: stdout.slice(0, MAX_CAPTURED_BYTES), tail });
    });
  });
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 1);
}

/**
 * Runs one plugin program (a `commands` or `subcommands/<sub>` file) with the words of the command,
 * on this process's own stdin, stdout and stderr, and returns its exit code.
 */
export function runPluginProgram(dirs: PluginDirs, file: string, words: readonly string[], self: readonly string[], base?: NodeJS.ProcessEnv): Promise<number> {
  prepare(dirs, self);
  const env = pluginEnv(dirs, base);
  return new Promise((resolve) => {
    const child = spawn(file, [...words], { env, cwd: dirs.dokkuRoot, stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(` !     ${file}: ${e.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(exitCode(code, signal)));
  });
}
