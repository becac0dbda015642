import { UserError } from './errors.ts';
import { printable } from './validate.ts';

/**
 * Domain names as the proxy accepts them: hostnames (RFC 1123 labels) and `*.` wildcards, lower
 * case. Anything nginx would read as something else (IP addresses, regexes, `_`) is refused.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateDomain(input: string): string {
  const domain = input.toLowerCase();
  const refuse = (why: string): never => {
    throw new UserError(`Invalid domain '${printable(input)}': ${why}`);
  };
  if (domain === '') refuse('empty');
  if (domain.length > 253) refuse(`too long (${domain.length} characters, at most 253)`);
  const wildcard = domain.startsWith('*.');
  const host = wildcard ? domain.slice(2) : domain;
  if (host.includes('*')) refuse('a wildcard may only be the whole first label, as in *.example.com');
  const labels = host.split('.');
  if (labels.some((l) => l === '')) refuse('empty label (leading, trailing or double dot)');
  for (const label of labels) if (!LABEL.test(label)) refuse(`label '${printable(label)}' must be letters, digits and inner dashes, at most 63 characters`);
  if (/^\d+$/.test(labels.at(-1)!)) refuse('an IP address is not a hostname');
  if (wildcard && labels.length < 2) refuse('a wildcard needs at least two labels after it, as in *.example.com');
  return domain;
}

export const isWildcard = (domain: string): boolean => domain.startsWith('*.');

/** The name a global domain gives an app: `<app>.<domain>`. */
export const globalDomainFor = (app: string, global: string): string => `${app}.${global}`;

/** Every domain an app answers to: its own, then one per global domain; duplicates dropped. */
export function effectiveDomains(app: string, own: string[], globals: string[], takenByOthers: (d: string) => boolean = () => false): string[] {
  const derived = globals.map((g) => globalDomainFor(app, g)).filter((d) => !own.includes(d) && !takenByOthers(d));
  return [...new Set([...own, ...derived])];
}

/** What a tenant's new domain is judged against. */
export interface DomainClaims {
  /** Every domain another app answers to: its own (wildcards too) and its `<app>.<global>` names. */
  others: string[];
  globals: string[];
  /** The tenant's app's own `<app>.<global>` names. */
  own: string[];
  /** Suffixes an admin granted the key (`acl:set KEY domains …`); empty: no grant. */
  granted: string[];
}

const baseOf = (d: string): string => (isWildcard(d) ? d.slice(2) : d);
/** `a` is `b` or a name under it. */
export const isAtOrUnder = (a: string, b: string): boolean => a === b || a.endsWith(`.${b}`);

/**
 * Why a non-admin key may not add `domain` (a validated name), or undefined. Wildcards and
 * localhost names catch traffic meant for others; a name that equals, sits under or above a
 * domain another app answers to would take its requests (or its certificates); names under a
 * global domain are the `<app>.<domain>` names of apps to come. With a grant, only names under the
 * granted suffixes; without one, any other name (as Dokku allows).
 */
export function tenantDomainRefusal(domain: string, claims: DomainClaims): string | undefined {
  if (isWildcard(domain)) return `${domain}: wildcard domains are for admin keys`;
  if (isAtOrUnder(domain, 'localhost')) return `${domain}: localhost names are for admin keys`;
  for (const other of claims.others) {
    const held = baseOf(other);
    if (isAtOrUnder(domain, held)) return `${domain} is ${domain === held ? '' : 'under '}a domain of another app`;
    if (isAtOrUnder(held, domain)) return `${domain} is a parent of a domain of another app`;
  }
  for (const g of claims.globals) {
    if (isAtOrUnder(g, domain)) return `${domain} is ${domain === g ? '' : 'a parent of '}a global domain`;
    if (isAtOrUnder(domain, g) && !claims.own.some((o) => isAtOrUnder(domain, o))) return `${domain}: names under the global domain ${g} are for apps named so (<app>.${g})`;
  }
  if (claims.granted.length && !claims.granted.some((s) => isAtOrUnder(domain, s))) return `${domain} is not under the domains granted to this key (${claims.granted.join(', ')})`;
  return undefined;
}
