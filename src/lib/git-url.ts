/**
 * Which repositories `git:sync` may fetch: `https://`, `http://`, `ssh://` and scp-like
 * `user@host:path` addresses only. No `file://`, `ext::`, local paths or option-like words: those
 * would make git read the server's own files or run programs.
 */
import { UserError } from './errors.ts';

export interface GitRemote {
  kind: 'http' | 'ssh';
  /** Lower-case host name or address, without brackets. */
  host: string;
  port?: number;
  url: string;
}

const MAX_URL = 2048;
/** A host name or an IP address (IPv6 in brackets or bare): no option-like words, no ssh_config syntax. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*|\[?[0-9a-f:.]{2,45}\]?)$/i;

export function isGitHost(host: string): boolean {
  return host.length <= 253 && !host.startsWith('-') && HOST.test(host);
}
const SCP = /^([a-z0-9._-]{1,64})@([a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\]):([^:\s][^\s]{0,1000})$/i;

const refuse = (url: string, why: string): never => {
  throw new UserError(`Invalid repository '${url.slice(0, 120).replace(/[^\x20-\x7e]/g, '?')}': ${why}`);
};

export function parseGitRemote(url: string): GitRemote {
  if (url.length > MAX_URL) refuse(url, `longer than ${MAX_URL} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(url)) refuse(url, 'it contains spaces or control characters');
  if (url.startsWith('-')) refuse(url, 'it looks like an option');
  const scp = SCP.exec(url);
  if (scp && !url.includes('://')) {
    const host = scp[2]!;
    if (!isGitHost(host)) refuse(url, 'the host is not a host name or address');
    if (scp[3]!.startsWith('-')) refuse(url, 'the path looks like an option');
    return { kind: 'ssh', host: host.replace(/^\[|\]$/g, '').toLowerCase(), url };
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!m) refuse(url, 'give an https://, http://, ssh:// or user@host:path address');
  const scheme = m![1]!.toLowerCase();
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh') refuse(url, `the ${scheme}:// protocol is not allowed (https, http, ssh)`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(url, 'it is not a URL');
  }
  const host = parsed.hostname;
  if (!host || !isGitHost(host)) refuse(url, 'the host is not a host name or address');
  if (host.startsWith('-') || parsed.username.startsWith('-')) refuse(url, 'the host looks like an option');
  const port = parsed.port ? Number(parsed.port) : undefined;
  return { kind: scheme === 'ssh' ? 'ssh' : 'http', host: host.replace(/^\[|\]$/g, '').toLowerCase(), ...(port ? { port } : {}), url };
}

/** A branch, tag or commit for `git fetch`: plain ref characters, never option-like. */
export function validateGitRef(ref: string): string {
  if (ref.length > 255 || !/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/.test(ref) || ref.includes('..') || ref.endsWith('.lock') || ref.endsWith('/')) {
    throw new UserError(`Invalid git ref '${ref.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}'`);
  }
  return ref;
}
