import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appStream, type CertInfo } from '../../../src/state/events.ts';
import { decideProxy, evolveProxy, type ProxyCommand, type ProxyState } from '../../../src/state/proxy-decider.ts';
import { proxyContext, proxyState } from '../../../src/state/proxy-queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

/**
 * A vhost is rendered and checked from `evolveProxy`'s prediction before its events are recorded;
 * everything after reads the projections. The two must agree, or nginx would serve one thing and
 * the next render another.
 */

const cert = (fingerprint: string): CertInfo => ({
  source: 'manual', subject: 'CN=a.io', issuer: 'CN=ca', names: ['a.io'], notBefore: '2026-01-01', notAfter: '2027-01-01', fingerprint, serial: '01',
});

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
  store.append(appStream('a1'), 0, [{ type: 'AppCreated', data: { name: 'web' } }], 't');
});
afterEach(() => store.db.close());

/**
 * Known difference: the projection lists domains added in one append by name, the prediction in
 * the order given. The steps add several domains at once only in name order, so all else is checked.
 */
const STEPS: ProxyCommand[] = [
  { type: 'domains:add', domains: ['a.io', 'b.io'] },
  { type: 'ports:set', ports: ['http:80:5000', 'https:443:5000'] },
  { type: 'certs:add', cert: cert('f1') },
  { type: 'domains:add', domains: ['c.io'] },
  { type: 'ports:add', ports: ['http:8080:5000'] },
  { type: 'domains:set', domains: ['b.io', 'c.io', 'd.io'] },
  { type: 'certs:add', cert: cert('f2') },
  { type: 'ports:remove', ports: ['8080'] },
  { type: 'domains:remove', domains: ['c.io'] },
  { type: 'certs:remove', reason: 'expired' },
  { type: 'ports:clear' },
  { type: 'domains:clear' },
];

describe('evolveProxy', () => {
  it('predicts the routing state the projections hold once the events are recorded', () => {
    const stream = appStream('a1');
    const seen: ProxyState[] = [];
    for (const command of STEPS) {
      const before = proxyState(store.db, 'a1');
      const events = decideProxy(command, before, proxyContext(store.db, 'a1'));
      expect(events.length, command.type).toBeGreaterThan(0);
      const predicted = events.reduce(evolveProxy, before);
      store.append(stream, store.version(stream), events, 't');
      expect(proxyState(store.db, 'a1'), command.type).toEqual(predicted);
      seen.push(predicted);
    }
    // The sequence went somewhere: domains, ports and a certificate were all there at some point.
    expect(seen.some((s) => s.domains.length === 3 && s.ports.length === 3 && s.cert?.fingerprint === 'f1')).toBe(true);
    expect(seen.at(-1)).toEqual({ domains: [], ports: [] });
  });
});
