import { UserError } from '../lib/errors.ts';
import { validateDomain } from '../lib/domains.ts';
import { formatPortMapping, parsePortMapping, samePortMapping, type PortMapping } from '../lib/ports.ts';
import type { CertInfo, DomainEvent } from './events.ts';

/**
 * Routing decisions for one app (domains, port mappings, certificate) and for the global domains.
 * Pure: who owns a domain comes through `ProxyContext`. The state is the projections'
 * (`proxyState`); `evolveProxy` only predicts the state a decision's events lead to, so the vhost
 * can be rendered and checked before they are recorded (tested to agree with the projections).
 */

export interface ProxyState {
  domains: string[];
  /** The app's own mappings; empty means the default. */
  ports: PortMapping[];
  cert?: CertInfo;
}

export const initialProxyState = (): ProxyState => ({ domains: [], ports: [] });

export type ProxyCommand =
  | { type: 'domains:add'; domains: string[] }
  | { type: 'domains:remove'; domains: string[] }
  | { type: 'domains:set'; domains: string[] }
  | { type: 'domains:clear' }
  | { type: 'ports:add'; ports: string[] }
  | { type: 'ports:set'; ports: string[] }
  | { type: 'ports:remove'; ports: string[] }
  | { type: 'ports:clear' }
  | { type: 'certs:add'; cert: CertInfo }
  | { type: 'certs:remove'; reason?: string };

export interface ProxyContext {
  /** The other app that answers to this domain, if any. */
  ownerOf(domain: string): string | undefined;
}

function parseDomains(words: string[]): string[] {
  if (words.length === 0) throw new UserError('No domains given');
  return [...new Set(words.map(validateDomain))];
}

function claim(domains: string[], ctx: ProxyContext): void {
  for (const d of domains) {
    const owner = ctx.ownerOf(d);
    if (owner !== undefined) throw new UserError(`Domain ${d} is already used by app ${owner}`);
  }
}

const added = (domains: string[]): DomainEvent[] => domains.map((domain) => ({ type: 'DomainAdded', data: { domain } }));
const removed = (domains: string[]): DomainEvent[] => domains.map((domain) => ({ type: 'DomainRemoved', data: { domain } }));

function portsEvent(current: PortMapping[], next: PortMapping[]): DomainEvent[] {
  const same = current.length === next.length && current.every((m, i) => samePortMapping(m, next[i]!));
  return same ? [] : [{ type: 'PortsSet', data: { ports: next.map(formatPortMapping) } }];
}

/** The only host ports below 1024 an app may listen on. */
export const OPEN_PRIVILEGED_PORTS = new Set([80, 443]);

function parsePorts(words: string[]): PortMapping[] {
  if (words.length === 0) throw new UserError('No port mappings given: use scheme:host-port:container-port, e.g. http:80:5000');
  const out: PortMapping[] = [];
  for (const m of words.map(parsePortMapping)) if (!out.some((o) => samePortMapping(o, m))) out.push(m);
  const hosts = new Set<number>();
  for (const m of out) {
    if (m.host < 1024 && !OPEN_PRIVILEGED_PORTS.has(m.host)) {
      throw new UserError(`Host port ${m.host} is refused: below 1024 only 80 and 443 are for apps (the rest belong to the host's own services)`);
    }
    if (hosts.has(m.host)) throw new UserError(`Port ${m.host} is mapped twice: one host port serves one mapping`);
    hosts.add(m.host);
  }
  return out;
}

export function decideProxy(command: ProxyCommand, state: ProxyState, ctx: ProxyContext): DomainEvent[] {
  switch (command.type) {
    case 'domains:add': {
      const fresh = parseDomains(command.domains).filter((d) => !state.domains.includes(d));
      claim(fresh, ctx);
      return added(fresh);
    }
    case 'domains:remove': {
      const domains = parseDomains(command.domains);
      const missing = domains.filter((d) => !state.domains.includes(d));
      if (missing.length) throw new UserError(`Domain ${missing.join(', ')} is not a domain of this app`);
      return removed(domains);
    }
    case 'domains:set': {
      const domains = parseDomains(command.domains);
      const fresh = domains.filter((d) => !state.domains.includes(d));
      claim(fresh, ctx);
      return [...removed(state.domains.filter((d) => !domains.includes(d))), ...added(fresh)];
    }
    case 'domains:clear':
      return removed(state.domains);
    case 'ports:add': {
      const wanted = parsePorts(command.ports).filter((m) => !state.ports.some((o) => samePortMapping(o, m)));
      const next = [...state.ports, ...wanted];
      for (const m of wanted) {
        const other = state.ports.find((o) => o.host === m.host);
        if (other) throw new UserError(`Port ${m.host} is already mapped (${formatPortMapping(other)}): remove that mapping first`);
      }
      return portsEvent(state.ports, next);
    }
    case 'ports:set':
      return portsEvent(state.ports, parsePorts(command.ports));
    case 'ports:remove': {
      if (command.ports.length === 0) throw new UserError('No port mappings given: use scheme:host-port:container-port or a host port');
      let next = state.ports;
      for (const word of command.ports) {
        const before = next.length;
        if (/^\d+$/.test(word)) next = next.filter((m) => m.host !== Number(word));
        else {
          const m = parsePortMapping(word);
          next = next.filter((o) => !samePortMapping(o, m));
        }
        if (next.length === before) throw new UserError(`No port mapping ${word} to remove (see ports:list)`);
      }
      return portsEvent(state.ports, next);
    }
    case 'ports:clear':
      return portsEvent(state.ports, []);
    case 'certs:add':
      if (state.cert?.fingerprint === command.cert.fingerprint) return [];
      return [{ type: 'CertAdded', data: command.cert }];
    case 'certs:remove':
      if (!state.cert) throw new UserError('App has no certificate');
      return [{ type: 'CertRemoved', data: command.reason ? { reason: command.reason } : {} }];
  }
}

/** The routing state after `event`, for events not appended yet. */
export function evolveProxy(state: ProxyState, event: DomainEvent): ProxyState {
  switch (event.type) {
    case 'DomainAdded':
      return state.domains.includes(event.data.domain) ? state : { ...state, domains: [...state.domains, event.data.domain] };
    case 'DomainRemoved':
      return { ...state, domains: state.domains.filter((d) => d !== event.data.domain) };
    case 'PortsSet':
      return { ...state, ports: event.data.ports.map(parsePortMapping) };
    case 'CertAdded':
      return { ...state, cert: event.data };
    case 'CertRemoved': {
      const { cert: _gone, ...rest } = state;
      return rest;
    }
    default:
      return state;
  }
}

export type GlobalDomainsCommand =
  | { type: 'domains:add-global'; domains: string[] }
  | { type: 'domains:remove-global'; domains: string[] }
  | { type: 'domains:set-global'; domains: string[] }
  | { type: 'domains:clear-global' };

/** Global domains: each gives every app `<app>.<domain>`, so wildcards make no sense here. */
export function decideGlobalDomains(command: GlobalDomainsCommand, globals: string[]): DomainEvent[] {
  const parse = (words: string[]) => {
    const domains = parseDomains(words);
    for (const d of domains) if (d.startsWith('*.')) throw new UserError(`A global domain cannot be a wildcard: ${d} (apps get <app>.<domain> already)`);
    return domains;
  };
  switch (command.type) {
    case 'domains:add-global':
      return added(parse(command.domains).filter((d) => !globals.includes(d)));
    case 'domains:remove-global': {
      const domains = parse(command.domains);
      const missing = domains.filter((d) => !globals.includes(d));
      if (missing.length) throw new UserError(`Domain ${missing.join(', ')} is not a global domain`);
      return removed(domains);
    }
    case 'domains:set-global': {
      const domains = parse(command.domains);
      return [...removed(globals.filter((d) => !domains.includes(d))), ...added(domains.filter((d) => !globals.includes(d)))];
    }
    case 'domains:clear-global':
      return removed(globals);
  }
}
