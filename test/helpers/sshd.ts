/**
 * A real OpenSSH server for tests: `sshd -D` as a child of the test, on a free loopback port, with
 * its own host key and sshd_config, reading the authorized_keys files the test names (dokku's
 * projection among them). Clients are the real `ssh` and `git`, pointed at it with -p and
 * GIT_SSH_COMMAND. Missing sshd, or not running as root, is a failure, not a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  /** Private key file. */
  path: string;
  /** The .pub file. */
  pub: string;
  /** SHA256:… as ssh-keygen prints it. */
  fingerprint: string;
}

export function makeKeyPair(dir: string, name: string): KeyPair {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1]!;
  return { path, pub: `${path}.pub`, fingerprint: fp };
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestSshd {
  port: number;
  user: string;
  dir: string;
  /** Runs one command string over SSH with this key (as `ssh host 'COMMAND'` sends it). */
  ssh(key: KeyPair, command: string, options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<SshResult>;
  /** For git: GIT_SSH_COMMAND with this key. */
  gitSsh(key: KeyPair): string;
  /** ssh://user@127.0.0.1:PORT/<app> */
  remote(app: string): string;
  stop(): Promise<void>;
}

const SSH_OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes'];

export function sshArgs(key: KeyPair, port: number): string[] {
  return ['-i', key.path, '-p', String(port), ...SSH_OPTIONS];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The child's environment without the caller's dokku or SSH variables. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('DOKKU_') || k.startsWith('GIT_') || ['NAME', 'FINGERPRINT', 'SSH_ORIGINAL_COMMAND', 'SSH_AUTH_SOCK'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // A program that exits without reading its stdin (git push) closes the pipe under us.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export async function startSshd(authorizedKeysFiles: string[]): Promise<TestSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (the SSH tests need a real sshd)`);
  if (process.getuid?.() !== 0) throw new Error('The SSH tests start sshd, which needs root');
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'dokku-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  // Bun's userInfo() can say 'unknown' where libc has no answer for it; id(1) reads /etc/passwd.
  const user = userInfo().username !== 'unknown' ? userInfo().username : spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${authorizedKeysFiles.join(' ')}`,
        `AllowUsers ${user}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // The test roots live under /tmp, which is world-writable: sshd's ownership walk would refuse them.
        'StrictModes no',
        `PidFile ${join(dir, 'sshd.pid')}`,
        // bash started by sshd reads ~/.bashrc unless SHLVL says it is nested. On a developer's or CI
        // machine root's .bashrc may do slow things (pyenv init: ~0.25 s per command); the dokku user
        // install.sh makes has Debian's default one, which returns at once for non-interactive shells.
        'SetEnv SHLVL=1',
        'MaxStartups 100:30:200',
        'MaxSessions 50',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      if (await accepts(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) {
      child.kill('SIGKILL');
      await exited;
      lastError = log;
      continue;
    }
    return {
      port,
      user,
      dir,
      ssh: (key, command, options = {}) => run('ssh', [...sshArgs(key, port), `${user}@127.0.0.1`, command], options),
      gitSsh: (key) => `ssh ${sshArgs(key, port).join(' ')}`,
      remote: (app) => `ssh://${user}@127.0.0.1:${port}/${app}`,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${lastError}`);
}

/** A git work tree with a few helpers, committing as a fixed author. */
export interface WorkTree {
  dir: string;
  git(...args: string[]): Promise<SshResult>;
  /** Runs git and fails unless it exits 0; returns stdout trimmed. */
  ok(...args: string[]): Promise<string>;
  commit(message: string, files?: Record<string, string>): Promise<string>;
}

export async function workTree(from: string | undefined, dir: string): Promise<WorkTree> {
  mkdirSync(dir, { recursive: true });
  if (from) spawnSync('cp', ['-a', `${from}/.`, dir]);
  const env = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' };
  const tree: WorkTree = {
    dir,
    git: (...args) => run('git', args, { cwd: dir, env }),
    async ok(...args) {
      const r = await tree.git(...args);
      if (r.code !== 0) throw new Error(`git ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout.trim();
    },
    async commit(message, files = {}) {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      await tree.ok('add', '-A');
      await tree.ok('commit', '-q', '--allow-empty', '-m', message);
      return tree.ok('rev-parse', 'HEAD');
    },
  };
  if (!existsSync(join(dir, '.git'))) await tree.ok('init', '-q', '-b', 'main');
  return tree;
}

export const readText = (path: string): string => readFileSync(path, 'utf8');
