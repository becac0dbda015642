import { describe, expect, it } from 'vitest';
import { parseGitRemote, validateGitRef } from '../../../src/lib/git-url.ts';

describe('parseGitRemote', () => {
  it('takes https, http, ssh and scp-like addresses', () => {
    expect(parseGitRemote('https://github.com/dokku/smoke-test-app.git')).toEqual({ kind: 'http', host: 'github.com', url: 'https://github.com/dokku/smoke-test-app.git' });
    expect(parseGitRemote('http://127.0.0.1:8080/r.git')).toMatchObject({ kind: 'http', host: '127.0.0.1', port: 8080 });
    expect(parseGitRemote('ssh://git@Example.org:2222/r.git')).toMatchObject({ kind: 'ssh', host: 'example.org', port: 2222 });
    expect(parseGitRemote('git@github.com:dokku/smoke-test-app.git')).toMatchObject({ kind: 'ssh', host: 'github.com' });
    expect(parseGitRemote('https://[::1]/r.git')).toMatchObject({ host: '::1' });
  });

  it.each([
    ['file:///etc', /file:\/\/ protocol is not allowed/],
    ['ext::sh -c touch% /tmp/x', /spaces or control/],
    ['ext::sh', /give an https/],
    ['/home/dokku/other.git', /give an https/],
    ['../other.git', /give an https/],
    ['-uhelp', /looks like an option/],
    ['--upload-pack=touch /tmp/x', /spaces|option/],
    ['git@host:-oProxyCommand=x', /path looks like an option/],
    ['ssh://-oProxyCommand=x/r', /not a host name|option/],
    ['fd::17', /give an https/],
    ['https://a\nb', /control/],
    ['x'.repeat(3000), /longer than 2048/],
  ])('refuses %s', (url, reason) => {
    expect(() => parseGitRemote(url)).toThrow(reason);
  });
});

describe('validateGitRef', () => {
  it('takes branches, tags and shas', () => {
    for (const r of ['main', 'v1.2.3', 'feature/x', 'a'.repeat(40)]) expect(validateGitRef(r)).toBe(r);
  });
  it.each(['-b', '--upload-pack=x', 'a..b', 'x.lock', 'a b', ':x', 'refs/', '+main'])('refuses %s', (r) => {
    expect(() => validateGitRef(r)).toThrow(/Invalid git ref/);
  });
});
