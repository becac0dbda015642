import { UserError } from './errors.ts';
import { printable } from './validate.ts';

/** `scheme:host:container` port mappings, as Dokku writes them (`http:80:5000`). */

export type Scheme = 'http' | 'https';

export interface PortMapping {
  scheme: Scheme;
  /** Port nginx listens on. */
  host: number;
  /** Port the web process listens on inside its container. */
  container: number;
}

const port = (text: string, what: string, input: string): number => {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UserError(`Invalid port mapping '${printable(input)}': ${what} port must be 1-65535`);
  }
  return Number(text);
};

export function parsePortMapping(input: string): PortMapping {
  const parts = input.split(':');
  if (parts.length !== 3) throw new UserError(`Invalid port mapping '${printable(input)}': use scheme:host-port:container-port, e.g. http:80:5000`);
  const [scheme, host, container] = parts as [string, string, string];
  if (scheme !== 'http' && scheme !== 'https') throw new UserError(`Invalid port mapping '${printable(input)}': scheme must be http or https`);
  return { scheme, host: port(host, 'host', input), container: port(container, 'container', input) };
}

export const formatPortMapping = (m: PortMapping): string => `${m.scheme}:${m.host}:${m.container}`;

export const samePortMapping = (a: PortMapping, b: PortMapping): boolean => a.scheme === b.scheme && a.host === b.host && a.container === b.container;

export interface ProxyPorts {
  http: number;
  https: number;
}

/**
 * What the app's vhost listens on: the app's own mappings, else Dokku's default: an image that
 * EXPOSEs several tcp ports gets `http:P:P` for each, otherwise `http:<http port>:<web port>` (the
 * web port is 5000, or the one port a Dockerfile EXPOSEs). With TLS and no https mapping, each
 * http mapping gets an https twin on the proxy's https port.
 */
export function effectivePorts(own: PortMapping[], webPort: number, proxy: ProxyPorts, tls: boolean, exposed: number[] = []): PortMapping[] {
  const base = own.length
    ? own
    : exposed.length > 1
      ? exposed.map((p) => ({ scheme: 'http' as const, host: p, container: p }))
      : [{ scheme: 'http' as const, host: proxy.http, container: webPort }];
  if (!tls || base.some((m) => m.scheme === 'https')) return base;
  const twins = base.filter((m) => m.scheme === 'http').map((m) => ({ scheme: 'https' as const, host: proxy.https, container: m.container }));
  const unique = twins.filter((t, i) => twins.findIndex((o) => samePortMapping(o, t)) === i);
  return [...base, ...unique];
}
