import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { isGitHost } from '../lib/git-url.ts';
import { loadExeca } from '../lib/execa.ts';

/**
 * The dokku user's own ssh identity (for `git:sync` from ssh remotes) and its known_hosts, both
 * under `$DOKKU_ROOT/.ssh`. The private key never leaves the host: it is 0600 and only its public
 * half is ever printed.
 */

export const deployKeyPath = (root: string): string => join(root, '.ssh', 'id_ed25519');
export const knownHostsPath = (root: string): string => join(root, '.ssh', 'known_hosts');

/** Makes an ed25519 key unless one exists; true if made. */
export async function generateDeployKey(root: string): Promise<boolean> {
  const path = deployKeyPath(root);
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const r = await (await loadExeca())('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dokku', '-f', path], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new UserError(`ssh-keygen failed: ${r.stderr.split('\n')[0]}`);
  chmodSync(path, 0o600);
  return true;
}

export function readPublicKey(root: string): string {
  const path = `${deployKeyPath(root)}.pub`;
  if (!existsSync(path)) throw new UserError('There is no deploy key: run git:generate-deploy-key');
  return readFileSync(path, 'utf8').trim();
}

export function validateGitHost(host: string): string {
  if (!isGitHost(host)) throw new UserError(`Invalid host '${host.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}'`);
  return host.toLowerCase().replace(/^\[|\]$/g, '');
}

/** The host names known_hosts lists (plain, unhashed entries; `[host]:port` counts as host). */
export function parseKnownHosts(text: string): string[] {
  const hosts = new Set<string>();
  for (const line of text.split('\n')) {
    const first = line.trim().split(/\s+/)[0];
    if (!first || first.startsWith('#') || first.startsWith('|')) continue;
    for (const h of first.split(',')) hosts.add(h.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').toLowerCase());
  }
  return [...hosts];
}

export function allowedHosts(root: string): string[] {
  const path = knownHostsPath(root);
  return existsSync(path) ? parseKnownHosts(readFileSync(path, 'utf8')) : [];
}

/** The host's ssh keys as known_hosts lines (port 22 unless given). */
export async function scanHostKeys(host: string, port?: number): Promise<string[]> {
  const args = ['-T', '10', ...(port ? ['-p', String(port)] : []), '--', host];
  const r = await (await loadExeca())('ssh-keyscan', args, { reject: false, stdin: 'ignore', timeout: 30_000 });
  const lines = r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  if (lines.length === 0) throw new UserError(`Could not read the ssh host keys of ${host}`);
  return lines;
}

/** Appends the known_hosts lines not listed yet; returns those. */
export function addKnownHosts(root: string, lines: string[]): string[] {
  const path = knownHostsPath(root);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const have = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const fresh = lines.filter((l) => !have.split('\n').includes(l));
  if (fresh.length) writeFileSync(path, `${have}${have && !have.endsWith('\n') ? '\n' : ''}${fresh.join('\n')}\n`, { mode: 0o644 });
  return fresh;
}
