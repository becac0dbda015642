import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import {
  forcedCommandEnv,
  forcedCommandLine,
  KEY_OPTIONS,
  renderAuthorizedKeys,
  writeAuthorizedKeys,
} from '../../../src/ssh/authorized-keys.ts';
import { inspectPublicKey, parsePublicKeyLine } from '../../../src/ssh/public-key.ts';
import { selfCommand } from '../../../src/lib/self.ts';

const dir = mkdtempSync(join(tmpdir(), 'dokku-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, type = 'ed25519'): { pub: string; priv: string; fingerprint: string } {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@laptop`, '-f', path]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1]!;
  return { pub: readFileSync(`${path}.pub`, 'utf8'), priv: readFileSync(path, 'utf8'), fingerprint: fp };
}

const refusal = async (text: string): Promise<string> => {
  try {
    await inspectPublicKey(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 40))} to be refused`);
};

describe('public keys', () => {
  const ed = keygen('ed');
  const rsa = keygen('rsa', 'rsa');

  it('takes a key as ssh-keygen wrote it, with the fingerprint ssh-keygen gives, and drops the comment', async () => {
    for (const k of [ed, rsa]) {
      const parsed = await inspectPublicKey(k.pub);
      expect(parsed.fingerprint).toBe(k.fingerprint);
      expect(k.pub.startsWith(parsed.publicKey)).toBe(true);
      expect(parsed.publicKey).not.toContain('laptop');
    }
    expect((await inspectPublicKey(ed.pub)).keyType).toBe('ssh-ed25519');
    expect((await inspectPublicKey(rsa.pub)).keyType).toBe('ssh-rsa');
  });

  it('refuses private keys, options, several keys, and things that are not keys', async () => {
    expect(await refusal(ed.priv)).toMatch(/private key/);
    expect(await refusal(`command="sh" ${ed.pub}`)).toMatch(/options/);
    expect(await refusal(`no-pty,${ed.pub}`)).toMatch(/options/);
    expect(await refusal(`${ed.pub}${rsa.pub}`)).toMatch(/one public key, got 2/);
    expect(await refusal('')).toMatch(/No public key/);
    expect(await refusal('hello world')).toMatch(/Not a public key/);
    expect(await refusal('ssh-ed25519 not*base64')).toMatch(/not base64/);
    // An RSA key's data labelled ed25519.
    expect(await refusal(`ssh-ed25519 ${rsa.pub.split(' ')[1]}`)).toMatch(/not a ssh-ed25519 key/);
    expect(await refusal(`ssh-ed25519 ${ed.pub.split(' ')[1]}\u0007`)).toMatch(/control characters/);
  });

  it('asks ssh-keygen about the key material itself: a truncated key passes the shape check but is refused', async () => {
    const blob = ed.pub.split(' ')[1]!;
    const truncated = Buffer.from(blob, 'base64').subarray(0, 30).toString('base64');
    expect(() => parsePublicKeyLine(`ssh-ed25519 ${truncated}`)).not.toThrow();
    expect(await refusal(`ssh-ed25519 ${truncated}`)).toMatch(/ssh-keygen says/);
  });
});

describe('authorized_keys', () => {
  const a = keygen('alice');
  const b = keygen('bob');
  const keys = [
    { name: 'alice', fingerprint: a.fingerprint, publicKey: a.pub.split(' ').slice(0, 2).join(' ') },
    { name: 'bob.smith@work', fingerprint: b.fingerprint, publicKey: b.pub.split(' ').slice(0, 2).join(' ') },
  ];

  it('is one forced-command line per key that ssh-keygen reads back with the same fingerprints', () => {
    const text = renderAuthorizedKeys(keys, { env: [['DOKKU_ROOT', '/home/dokku']], argv: ['/usr/bin/dokku'] });
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `command="NAME=alice FINGERPRINT=${a.fingerprint} DOKKU_ROOT=/home/dokku exec /usr/bin/dokku",${KEY_OPTIONS.join(',')} ${keys[0]!.publicKey} dokku:alice`,
    );
    for (const option of ['no-agent-forwarding', 'no-port-forwarding', 'no-X11-forwarding', 'no-user-rc']) expect(lines[1]).toContain(option);
    const file = join(dir, 'authorized_keys_check');
    writeFileSync(file, text);
    const listed = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1])).toEqual([a.fingerprint, b.fingerprint]);
  });

  it('gives the program exactly these variables when a real shell runs the forced command', () => {
    const env: Array<[string, string]> = [
      ['DOKKU_ROOT', '/srv/dokku root/it\'s here'],
      ['DOKKU_STACK_IMAGE', 'dokku/stack:bookworm'],
    ];
    const line = forcedCommandLine(keys[1]!, { env, argv: ['/usr/bin/env'] });
    const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.status).toBe(0);
    const seen = Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(seen).toMatchObject({ NAME: 'bob.smith@work', FINGERPRINT: b.fingerprint, DOKKU_ROOT: "/srv/dokku root/it's here", DOKKU_STACK_IMAGE: 'dokku/stack:bookworm' });
  });

  it('refuses values that would end the option or the line', () => {
    for (const bad of ['/tmp/a"b', '/tmp/a\\b', '/tmp/a\nb', '/tmp/\u0001']) {
      expect(() => forcedCommandLine(keys[0]!, { env: [['DOKKU_ROOT', bad]], argv: ['/usr/bin/dokku'] })).toThrow(UserError);
      expect(() => forcedCommandLine(keys[0]!, { env: [], argv: [bad] })).toThrow(UserError);
    }
    expect(() => forcedCommandLine(keys[0]!, { env: [['lower', 'x']], argv: ['/x'] })).toThrow(UserError);
  });

  it('passes on DOKKU_* settings and DOCKER_HOST, sorted, with DOKKU_ROOT first and install-time values left out', () => {
    expect(
      forcedCommandEnv('/r', { DOKKU_ROOT: '/ignored', DOKKU_STACK_IMAGE: 's', DOCKER_HOST: 'unix:///d.sock', DOKKU_INSTALL_KEY: 'k', HOME: '/root', DOKKU_DB: '' }),
    ).toEqual([
      ['DOKKU_ROOT', '/r'],
      ['DOCKER_HOST', 'unix:///d.sock'],
      ['DOKKU_STACK_IMAGE', 's'],
    ]);
  });

  it('is replaced atomically with mode 0600, and not touched when nothing changed', () => {
    const path = join(dir, 'home', '.ssh', 'authorized_keys');
    const text = renderAuthorizedKeys(keys, { env: [], argv: ['/usr/bin/dokku'] });
    expect(writeAuthorizedKeys(path, text)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'home', '.ssh')).mode & 0o777).toBe(0o700);
    const before = statSync(path);
    expect(writeAuthorizedKeys(path, text)).toBe(false);
    expect(statSync(path).ino).toBe(before.ino);
    expect(writeAuthorizedKeys(path, renderAuthorizedKeys(keys.slice(0, 1), { env: [], argv: ['/usr/bin/dokku'] }))).toBe(true);
    expect(statSync(path).ino).not.toBe(before.ino);
    expect(readFileSync(path, 'utf8')).not.toContain('bob');
  });
});

describe('selfCommand', () => {
  it('is the binary alone when compiled, else the runtime and the absolute script', () => {
    expect(selfCommand(['/usr/bin/dokku', '/$bunfs/root/dokku'], '/usr/bin/dokku')).toEqual(['/usr/bin/dokku']);
    expect(selfCommand(['node', 'dist/dokku.mjs'], '/usr/bin/node')).toEqual(['/usr/bin/node', join(process.cwd(), 'dist/dokku.mjs')]);
  });
});
