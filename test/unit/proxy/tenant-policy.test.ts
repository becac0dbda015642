import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { tenantDomainRefusal, type DomainClaims } from '../../../src/lib/domains.ts';
import { assertHostPortsFree, listeningPortsIn } from '../../../src/proxy/host-ports.ts';
import { decideProxy, initialProxyState } from '../../../src/state/proxy-decider.ts';

describe('which names a tenant may add', () => {
  const claims: DomainClaims = { others: ['www.alice.example', '*.wild.example', 'other.apps.example'], globals: ['apps.example'], own: ['web.apps.example'], granted: [] };

  it.each([
    ['*.x.example', /wildcard/],
    ['localhost', /localhost/],
    ['a.b.localhost', /localhost/],
    ['www.alice.example', /^www\.alice\.example is a domain of another app$/],
    ['api.www.alice.example', /under a domain of another app/],
    ['alice.example', /parent of a domain of another app/],
    ['example', /parent of a domain of another app/],
    ['x.wild.example', /under a domain of another app/],
    ['wild.example', /is a domain of another app/],
    ['apps.example', /parent of a domain of another app|is a global domain/],
    ['shop.apps.example', /names under the global domain apps\.example/],
  ])('%s is refused', (domain, why) => {
    expect(tenantDomainRefusal(domain, claims)).toMatch(why);
  });

  it.each(['www.bob.example', 'bob.example', 'api.web.apps.example', 'web.apps.example', 'alice.example.org', 'notlocalhost'])('%s is allowed without a grant', (domain) => {
    expect(tenantDomainRefusal(domain, claims)).toBeUndefined();
  });

  it('with a grant, only names at or under the granted suffixes', () => {
    const granted = { ...claims, granted: ['bob.example', 'shop.test'] };
    expect(tenantDomainRefusal('bob.example', granted)).toBeUndefined();
    expect(tenantDomainRefusal('www.shop.test', granted)).toBeUndefined();
    expect(tenantDomainRefusal('evilbob.example', granted)).toMatch(/not under the domains granted/);
    expect(tenantDomainRefusal('bob.example.evil.test', granted)).toMatch(/not under the domains granted/);
    // A grant opens no name another app holds.
    expect(tenantDomainRefusal('www.alice.example', { ...claims, granted: ['alice.example'] })).toMatch(/another app/);
  });
});

describe('host ports', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0976 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1',
    '   2: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
  ].join('\n');

  it('reads the listening ports of /proc/net/tcp, not the connected ones', () => {
    expect([...listeningPortsIn(table)].sort((a, b) => a - b)).toEqual([22, 2422]);
  });

  it('refuses a port held by something else, not one nginx holds for dokku', () => {
    const listening = listeningPortsIn(table);
    expect(() => assertHostPortsFree([{ scheme: 'http', host: 2422, container: 5000 }], new Set([80]), listening)).toThrow(/^Port 2422 is already in use on this host/);
    expect(() => assertHostPortsFree([{ scheme: 'http', host: 2422, container: 5000 }], new Set([2422]), listening)).not.toThrow();
    expect(() => assertHostPortsFree([{ scheme: 'http', host: 8080, container: 5000 }], new Set(), listening)).not.toThrow();
  });

  it.each([1, 22, 25, 111, 1023])('port %i is refused to everyone', (port) => {
    expect(() => decideProxy({ type: 'ports:set', ports: [`http:${port}:5000`] }, initialProxyState(), { ownerOf: () => undefined })).toThrow(UserError);
  });

  it.each([80, 443, 1024, 8080])('port %i may be mapped', (port) => {
    expect(decideProxy({ type: 'ports:set', ports: [`http:${port}:5000`] }, initialProxyState(), { ownerOf: () => undefined })).toHaveLength(1);
  });
});
