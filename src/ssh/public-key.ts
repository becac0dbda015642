import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import type { ParsedKey } from '../state/access-decider.ts';
import { printable } from '../lib/validate.ts';
import { loadExeca } from '../lib/execa.ts';

/** Key types OpenSSH accepts in authorized_keys today (DSA is gone from OpenSSH 9.8). */
export const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface PublicKeyLine {
  keyType: string;
  blob: string;
}

/**
 * One public key line as `ssh-keygen` writes it: `type base64 [comment]`. Options (`command=…`,
 * `from=…`) are refused, since the forced command is ours to write; the comment is dropped.
 */
export function parsePublicKeyLine(text: string): PublicKeyLine {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new UserError('No public key given: pass a .pub file, or pipe one into stdin with -');
  if (lines[0]!.startsWith('-----BEGIN')) throw new UserError('That is a private key: give the public key (the .pub file) instead');
  if (lines.length > 1) throw new UserError(`Expected one public key, got ${lines.length} lines: add keys one at a time`);
  const line = lines[0]!;
  if (/[\0-\x08\x0b-\x1f\x7f]/.test(line)) throw new UserError('The public key contains control characters');
  const tokens = line.split(/[ \t]+/);
  const [keyType = '', blob = ''] = tokens;
  const isType = (t: string) => (KEY_TYPES as readonly string[]).includes(t);
  if (!isType(keyType)) {
    if (/^[A-Za-z-]+(=|,)/.test(line) || tokens.slice(1).some((t) => isType(t) || isType(t.split(',').pop()!))) {
      throw new UserError('Key options (command=, from=, ...) are not accepted: give the key line as ssh-keygen wrote it');
    }
    throw new UserError(`Not a public key: '${printable(line.slice(0, 40))}' does not start with a key type (${KEY_TYPES.slice(0, 3).join(', ')}, ...)`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) throw new UserError('Not a public key: the key data is not base64');
  // The blob starts with its own type as an SSH string: a length and the name.
  const raw = Buffer.from(blob, 'base64');
  const len = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
  if (len !== keyType.length || raw.subarray(4, 4 + len).toString('latin1') !== keyType) {
    throw new UserError(`Not a public key: the key data is not a ${keyType} key`);
  }
  return { keyType, blob };
}

/** The key as `ssh-keygen -l` sees it: it must accept the key, and its fingerprint is the key's id. */
export async function inspectPublicKey(text: string): Promise<ParsedKey> {
  const { keyType, blob } = parsePublicKeyLine(text);
  const dir = mkdtempSync(join(tmpdir(), 'dokku-key-'));
  try {
    const file = join(dir, 'key.pub');
    writeFileSync(file, `${keyType} ${blob}\n`, { mode: 0o600 });
    const r = await (await loadExeca())('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { reject: false, stdin: 'ignore' });
    if (r.failed && (r as { code?: string }).code === 'ENOENT') throw new UserError('ssh-keygen is not installed (apt-get install openssh-client)');
    const fingerprint = /\b(SHA256:[A-Za-z0-9+/]{43})\b/.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || !fingerprint) throw new UserError(`Not a valid public key: ssh-keygen says ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.exitCode}`}`);
    return { keyType, publicKey: `${keyType} ${blob}`, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
