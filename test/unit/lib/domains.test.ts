import { describe, expect, it } from 'vitest';
import { effectiveDomains, validateDomain } from '../../../src/lib/domains.ts';
import { decideGlobalDomains, decideProxy, evolveProxy, initialProxyState, type ProxyState } from '../../../src/state/proxy-decider.ts';
import type { CertInfo } from '../../../src/state/events.ts';

describe('validateDomain', () => {
  it('accepts hostnames and *. wildcards, lower-cased', () => {
    for (const ok of ['example.com', 'a.b-c.example.co.uk', 'localhost', 'xn--bcher-kva.example', '*.example.com', 'x'.repeat(63) + '.io']) expect(validateDomain(ok)).toBe(ok);
    expect(validateDomain('WWW.Example.COM')).toBe('www.example.com');
  });

  it('refuses what nginx would read as something else, with the reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['under_score.com', /label 'under_score'/],
      ['-lead.com', /label '-lead'/],
      ['a..b', /empty label/],
      ['example.com.', /empty label/],
      ['10.0.0.1', /IP address/],
      ['*.com', /two labels/],
      ['a.*.com', /wildcard may only be/],
      ['*example.com', /wildcard may only be/],
      ['~^(www)\\.x$', /label/],
      ['a b.com', /label 'a b'/],
      ['x;return 200.com', /label/],
      ['x'.repeat(64) + '.com', /label/],
      [`${'a.'.repeat(127)}com`, /too long/],
      ['_', /label '_'/],
    ];
    for (const [input, why] of cases) expect(() => validateDomain(input), input).toThrow(why);
  });
});

describe('effectiveDomains', () => {
  it("adds <app>.<global> for each global domain, unless another app owns that name", () => {
    expect(effectiveDomains('api', ['api.io'], ['apps.io', 'x.dev'])).toEqual(['api.io', 'api.apps.io', 'api.x.dev']);
    expect(effectiveDomains('api', [], ['apps.io'], (d) => d === 'api.apps.io')).toEqual([]);
    expect(effectiveDomains('api', ['api.apps.io'], ['apps.io'])).toEqual(['api.apps.io']);
  });
});

const cert: CertInfo = { source: 'manual', subject: 'CN=a', issuer: 'CN=ca', names: ['a.io'], notBefore: 'x', notAfter: 'y', fingerprint: 'ff', serial: '01' };
const noOwner = { ownerOf: () => undefined };
const fold = (s: ProxyState, events: ReturnType<typeof decideProxy>) => events.reduce(evolveProxy, s);

describe('decideProxy', () => {
  it('adds only new domains, refusing one another app owns and naming it', () => {
    const s = fold(initialProxyState(), decideProxy({ type: 'domains:add', domains: ['a.io', 'A.io', 'b.io'] }, initialProxyState(), noOwner));
    expect(s.domains).toEqual(['a.io', 'b.io']);
    expect(decideProxy({ type: 'domains:add', domains: ['a.io'] }, s, noOwner)).toEqual([]);
    expect(() => decideProxy({ type: 'domains:add', domains: ['c.io'] }, s, { ownerOf: (d) => (d === 'c.io' ? 'other' : undefined) })).toThrow('Domain c.io is already used by app other');
    expect(() => decideProxy({ type: 'domains:add', domains: [] }, s, noOwner)).toThrow('No domains given');
  });

  it('set replaces, remove refuses a domain the app lacks, clear removes all', () => {
    const s: ProxyState = { domains: ['a.io', 'b.io'], ports: [] };
    expect(decideProxy({ type: 'domains:set', domains: ['b.io', 'c.io'] }, s, noOwner)).toEqual([
      { type: 'DomainRemoved', data: { domain: 'a.io' } },
      { type: 'DomainAdded', data: { domain: 'c.io' } },
    ]);
    expect(() => decideProxy({ type: 'domains:remove', domains: ['z.io'] }, s, noOwner)).toThrow('Domain z.io is not a domain of this app');
    expect(fold(s, decideProxy({ type: 'domains:clear' }, s, noOwner)).domains).toEqual([]);
  });

  it('records the whole port list, refuses a host port mapped twice, removes by mapping or host port', () => {
    const s0 = initialProxyState();
    const add = decideProxy({ type: 'ports:add', ports: ['http:80:5000', 'https:443:5000'] }, s0, noOwner);
    expect(add).toEqual([{ type: 'PortsSet', data: { ports: ['http:80:5000', 'https:443:5000'] } }]);
    const s1 = fold(s0, add);
    expect(decideProxy({ type: 'ports:add', ports: ['http:80:5000'] }, s1, noOwner)).toEqual([]);
    expect(() => decideProxy({ type: 'ports:add', ports: ['http:80:3000'] }, s1, noOwner)).toThrow('Port 80 is already mapped (http:80:5000)');
    expect(() => decideProxy({ type: 'ports:set', ports: ['http:80:5000', 'https:80:5000'] }, s1, noOwner)).toThrow('Port 80 is mapped twice');
    expect(fold(s1, decideProxy({ type: 'ports:remove', ports: ['443'] }, s1, noOwner)).ports).toEqual([{ scheme: 'http', host: 80, container: 5000 }]);
    expect(() => decideProxy({ type: 'ports:remove', ports: ['http:81:5000'] }, s1, noOwner)).toThrow('No port mapping http:81:5000');
    expect(decideProxy({ type: 'ports:clear' }, s1, noOwner)).toEqual([{ type: 'PortsSet', data: { ports: [] } }]);
    expect(decideProxy({ type: 'ports:clear' }, s0, noOwner)).toEqual([]);
  });

  it('adds a certificate once, removes it only when there is one', () => {
    expect(decideProxy({ type: 'certs:add', cert }, initialProxyState(), noOwner)).toEqual([{ type: 'CertAdded', data: cert }]);
    const s = fold(initialProxyState(), [{ type: 'CertAdded', data: cert }]);
    expect(decideProxy({ type: 'certs:add', cert }, s, noOwner)).toEqual([]);
    expect(fold(s, decideProxy({ type: 'certs:remove', reason: 'revoked' }, s, noOwner)).cert).toBeUndefined();
    expect(() => decideProxy({ type: 'certs:remove' }, initialProxyState(), noOwner)).toThrow('App has no certificate');
  });
});

describe('decideGlobalDomains', () => {
  it('set replaces the global domains; wildcards are refused', () => {
    expect(decideGlobalDomains({ type: 'domains:set-global', domains: ['new.io'] }, ['old.io'])).toEqual([
      { type: 'DomainRemoved', data: { domain: 'old.io' } },
      { type: 'DomainAdded', data: { domain: 'new.io' } },
    ]);
    expect(() => decideGlobalDomains({ type: 'domains:add-global', domains: ['*.apps.io'] }, [])).toThrow('cannot be a wildcard');
    expect(() => decideGlobalDomains({ type: 'domains:remove-global', domains: ['x.io'] }, [])).toThrow('not a global domain');
  });
});
