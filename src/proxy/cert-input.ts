/**
 * A certificate and key as they arrive on stdin, pure: a tar (or tar.gz) holding `server.crt` and
 * `server.key`, as Dokku takes them, or the PEM certificate (chain) and key concatenated. Over SSH
 * this is the only way in: a non-admin key may not name files on the server.
 */
import { gunzipSync } from 'node:zlib';
import { isGzip, readTar } from '../lib/tar.ts';
import { UserError } from '../lib/errors.ts';
import { formatBytes } from '../lib/read-capped.ts';

/** Each of the certificate and the key. */
export const MAX_PEM_BYTES = 1024 * 1024;
/** All of stdin, a tar holding both. */
export const MAX_CERT_INPUT_BYTES = 4 * 1024 * 1024;

export interface CertPair {
  certificate: string;
  key: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n[\s\S]*?\r?\n?-----END \1-----/g;

/** Tells a PEM bundle from a tar by its first bytes, and takes the pair out of either. */
export function certPairFromInput(input: Buffer): CertPair {
  if (input.length === 0) throw new UserError('Nothing on stdin: pipe a tar of server.crt and server.key, or the PEM certificate and key');
  if (input.length > MAX_CERT_INPUT_BYTES) throw new UserError(`Certificate input is larger than ${formatBytes(MAX_CERT_INPUT_BYTES)}`);
  const head = input.subarray(0, 64).toString('latin1').trimStart();
  if (head.startsWith('-----BEGIN ')) return pemPair(input);
  return tarPair(input);
}

/** Every CERTIFICATE block, in order, is the chain; exactly one private key goes with it. */
export function pemPair(input: Buffer): CertPair {
  if (input.length > 2 * MAX_PEM_BYTES) throw new UserError(`PEM input is larger than ${formatBytes(2 * MAX_PEM_BYTES)}`);
  const text = input.toString('utf8');
  if (text.includes('\0')) throw new UserError('PEM input contains a NUL byte');
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks.filter((b) => /(^| )PRIVATE KEY$/.test(b.label));
  if (certs.length === 0) throw new UserError('No PEM certificate on stdin (expected -----BEGIN CERTIFICATE-----)');
  if (keys.length === 0) throw new UserError('No PEM private key on stdin (expected -----BEGIN PRIVATE KEY----- after the certificate)');
  if (keys.length > 1) throw new UserError(`${keys.length} private keys on stdin: give one`);
  const certificate = `${certs.map((c) => c.text).join('\n')}\n`;
  if (Buffer.byteLength(certificate) > MAX_PEM_BYTES) throw new UserError(`The certificate is larger than ${formatBytes(MAX_PEM_BYTES)}`);
  return { certificate, key: `${keys[0]!.text}\n` };
}

/** `server.crt` and `server.key`, regular files at the root or in one folder; nothing else is read. */
export function tarPair(input: Buffer): CertPair {
  let archive = input;
  if (isGzip(input)) {
    try {
      archive = gunzipSync(input, { maxOutputLength: MAX_CERT_INPUT_BYTES });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new UserError(`The tar.gz on stdin unpacks to more than ${formatBytes(MAX_CERT_INPUT_BYTES)}`);
      }
      throw new UserError('stdin is not a tar archive or PEM certificate and key: the gzip data is corrupt');
    }
  }
  let entries;
  try {
    entries = readTar(archive);
  } catch (err) {
    throw new UserError(`stdin is not a tar archive or PEM certificate and key: ${(err as Error).message.split('\n')[0]}`);
  }
  const find = (name: string) => {
    const matches = entries.filter((e) => e.path === name || e.path.endsWith(`/${name}`));
    if (matches.length > 1) throw new UserError(`The tar holds ${name} more than once`);
    const entry = matches[0];
    if (!entry) return undefined;
    if (entry.type !== 'file' || !entry.data) throw new UserError(`${name} in the tar must be a regular file`);
    if (entry.data.length > MAX_PEM_BYTES) throw new UserError(`${name} is larger than ${formatBytes(MAX_PEM_BYTES)}`);
    if (entry.data.includes(0)) throw new UserError(`${name} is not PEM text: it contains a NUL byte`);
    return entry.data.toString('utf8');
  };
  const certificate = find('server.crt');
  const key = find('server.key');
  if (certificate === undefined || key === undefined) throw new UserError('The tar must hold server.crt and server.key');
  return { certificate, key };
}
