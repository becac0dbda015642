import { UserError } from '../errors.ts';
import { printable } from '../validate.ts';

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
