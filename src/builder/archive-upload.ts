/**
 * How a source archive reaches the host from an http(s) URL, into a file, with a size cap and a
 * time limit (stdin is read by lib/stdin.ts). What the file holds is checked afterwards by scanSource.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BuildError } from './errors.ts';
import { formatBytes } from '../lib/read-capped.ts';

/** Loopback, link-local and unspecified addresses: the host's own services and cloud metadata. */
export function isHostLocalAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 127 || a === 0 || (a === 169 && b === 254);
  }
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6 === '::' || /^fe[89ab]/.test(v6);
}

/**
 * Why a tenant may not fetch `url` (its host is this machine or link-local), or undefined.
 * Every address the name resolves to is checked.
 */
export async function hostLocalReason(url: URL): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `the URL's host ${host} is this server`;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return undefined; // the download fails on its own, with the resolver's message
  }
  const local = addresses.find(isHostLocalAddress);
  return local ? `the URL's host ${host} resolves to ${local}, an address of this server` : undefined;
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  /** Refuse redirects (a tenant's URL could redirect to this server). */
  noRedirects?: boolean;
}

/** Downloads `url` to `path`; any failure is one line. */
export async function downloadArchive(url: URL, path: string, opts: DownloadOptions): Promise<number> {
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), redirect: opts.noRedirects ? 'manual' : 'follow' });
  } catch (err) {
    throw new BuildError('source', `Could not download ${shown}: ${causeOf(err)}`);
  }
  if (res.status >= 300 && res.status < 400) throw new BuildError('source', `Could not download ${shown}: it redirects (HTTP ${res.status}), which is not followed for this key`);
  if (!res.ok || !res.body) throw new BuildError('source', `Could not download ${shown}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > opts.maxBytes) throw new BuildError('source', `Could not download ${shown}: it is larger than ${formatBytes(opts.maxBytes)} (DOKKU_MAX_ARCHIVE_BYTES)`);
  const out = openSync(path, 'w', 0o600);
  let total = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > opts.maxBytes) throw new BuildError('source', `Could not download ${shown}: it is larger than ${formatBytes(opts.maxBytes)} (DOKKU_MAX_ARCHIVE_BYTES)`);
      writeSync(out, chunk);
    }
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError('source', `Could not download ${shown}: ${causeOf(err)}`);
  } finally {
    closeSync(out);
  }
  return total;
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)).split('\n')[0]!;
}
