import { describe, expect, it } from 'vitest';
import { file, symlink, writeTar } from '../../../src/lib/tar.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { certPairFromInput } from '../../../src/proxy/cert-input.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----';

describe('certificates on stdin', () => {
  it('takes the PEM chain and key concatenated, in either order, ignoring other blocks', () => {
    expect(certPairFromInput(Buffer.from(`${CERT}\n${CHAIN}\n${KEY}\n`))).toEqual({ certificate: `${CERT}\n${CHAIN}\n`, key: `${KEY}\n` });
    expect(certPairFromInput(Buffer.from(`\n${KEY}\n-----BEGIN EC PARAMETERS-----\nBgg\n-----END EC PARAMETERS-----\n${CERT}\n`))).toEqual({ certificate: `${CERT}\n`, key: `${KEY}\n` });
  });

  it('takes server.crt and server.key from a tar, regular files only', () => {
    expect(certPairFromInput(writeTar([file('server.crt', CERT), file('server.key', KEY)]))).toEqual({ certificate: CERT, key: KEY });
    expect(() => certPairFromInput(writeTar([symlink('server.crt', '/etc/passwd'), file('server.key', KEY)]))).toThrow(/must be a regular file/);
  });

  it.each([
    ['empty', Buffer.alloc(0), /Nothing on stdin/],
    ['no key', Buffer.from(CERT), /No PEM private key/],
    ['no certificate', Buffer.from(KEY), /No PEM certificate/],
    ['two keys', Buffer.from(`${CERT}\n${KEY}\n${KEY}`), /2 private keys/],
    ['over 4 MiB', Buffer.alloc(4 * 1024 * 1024 + 1), /larger than 4 MiB/],
  ])('refuses %s', (_, input, message) => {
    expect(() => certPairFromInput(input)).toThrow(UserError);
    expect(() => certPairFromInput(input)).toThrow(message);
  });
});
