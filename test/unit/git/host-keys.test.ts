import { describe, expect, it } from 'vitest';
import { parseKnownHosts, validateGitHost } from '../../../src/git/host-keys.ts';

describe('known hosts', () => {
  it('lists plain entries, ports stripped, hashed ones skipped', () => {
    const text = ['github.com ssh-ed25519 AAAA', '[127.0.0.1]:2222 ssh-rsa AAAA', 'a.example,10.0.0.1 ecdsa AAAA', '|1|hash= ssh-rsa AAAA', '# comment', ''].join('\n');
    expect(parseKnownHosts(text)).toEqual(['github.com', '127.0.0.1', 'a.example', '10.0.0.1']);
  });
  it('validates hosts given to ssh-keyscan', () => {
    expect(validateGitHost('GitHub.com')).toBe('github.com');
    expect(validateGitHost('127.0.0.1')).toBe('127.0.0.1');
    for (const h of ['-oProxyCommand=x', 'a b', 'host;rm', 'x'.repeat(300), '']) expect(() => validateGitHost(h)).toThrow(/Invalid host/);
  });
});
