import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { quoteWord } from '../lib/words.ts';

/**
 * `authorized_keys` as a projection of the key events: one line per key, each forcing our own
 * program with the key's name and fingerprint in its environment. The file is rendered whole from
 * state (a pure function) and replaced atomically, so sshd never reads half a file.
 */

export interface AuthorizedKey {
  name: string;
  fingerprint: string;
  /** "type base64" */
  publicKey: string;
}

export interface ForcedCommand {
  /** Settings the program needs (DOKKU_ROOT, ...), set before it runs. */
  env: Array<[string, string]>;
  /** The program: the binary, or the runtime and the script. */
  argv: string[];
}

/**
 * No forwarding of any kind and no ~/.ssh/rc. A pty stays allowed: `ssh -t dokku@host run app bash`
 * and `enter` need one, and the command is forced whatever the client asks, so a pty gives no shell.
 */
export const KEY_OPTIONS = ['no-agent-forwarding', 'no-port-forwarding', 'no-X11-forwarding', 'no-user-rc'] as const;

export const HEADER =
  '# Written by dokku from its event log (ssh-keys:add, ssh-keys:remove); edits here are overwritten.\n';

/** A value inside `command="…"`: a shell word, and nothing sshd or the shell would read specially. */
function safeWord(what: string, value: string): string {
  if (/["\\\n\r\0]/.test(value) || /[\x00-\x1f\x7f]/.test(value)) {
    throw new UserError(`Cannot write ${what} into authorized_keys: it contains a quote, backslash or control character`);
  }
  return quoteWord(value);
}

export function forcedCommandLine(key: AuthorizedKey, command: ForcedCommand): string {
  const env: Array<[string, string]> = [['NAME', key.name], ['FINGERPRINT', key.fingerprint], ...command.env];
  for (const [k] of env) if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new UserError(`Cannot write the variable name ${k} into authorized_keys`);
  const assignments = env.map(([k, v]) => `${k}=${safeWord(k, v)}`);
  return [...assignments, 'exec', ...command.argv.map((a) => safeWord('the program path', a))].join(' ');
}

export function renderAuthorizedKeys(keys: AuthorizedKey[], command: ForcedCommand): string {
  const lines = keys.map((k) => {
    if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$/.test(k.publicKey)) throw new Error(`malformed stored key ${k.name}`);
    return `command="${forcedCommandLine(k, command)}",${KEY_OPTIONS.join(',')} ${k.publicKey} dokku:${k.name}`;
  });
  return HEADER + lines.map((l) => `${l}\n`).join('');
}

/**
 * Replaces the file if its content changed (temp file + rename; 0600). Run as root for another
 * user's file, the new file keeps the owner of the old one, or of the directory that holds `.ssh`,
 * because sshd reads it as that user. Returns whether anything was written.
 */
export function writeAuthorizedKeys(path: string, content: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const owner = existsSync(path) ? statSync(path) : statSync(dirname(dir));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  if (process.getuid?.() === 0 && owner.uid !== 0) {
    chownSync(tmp, owner.uid, owner.gid);
    const d = statSync(dir);
    if (d.uid === 0) chownSync(dir, owner.uid, owner.gid);
  }
  renameSync(tmp, path);
  return true;
}

/**
 * The settings the forced command passes on: DOKKU_ROOT, and every other DOKKU_* variable and
 * DOCKER_HOST of the process writing the file, so a key added against a root (a test's, or one
 * set by the installer) runs its SSH calls against that same root.
 */
export function forcedCommandEnv(root: string, env: NodeJS.ProcessEnv = process.env): Array<[string, string]> {
  const passed = Object.keys(env)
    .filter((k) => (k.startsWith('DOKKU_') && k !== 'DOKKU_ROOT' && !k.startsWith('DOKKU_INSTALL_')) || k === 'DOCKER_HOST')
    .filter((k) => env[k] !== undefined && env[k] !== '')
    .sort();
  return [['DOKKU_ROOT', root], ...passed.map((k): [string, string] => [k, env[k]!])];
}
