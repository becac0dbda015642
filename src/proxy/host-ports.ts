import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { UserError } from '../lib/errors.ts';
import type { PortMapping } from '../lib/ports.ts';

/**
 * Which TCP ports something on this host already listens on, from /proc/net/tcp and tcp6 (every
 * address, any owner, no privileges needed): a mapping nginx cannot bind must be refused when it
 * is set, not discovered by the next reload that fails for every app.
 */

/** The local ports in LISTEN state (st 0A) of a /proc/net/tcp{,6} table. */
export function listeningPortsIn(table: string): Set<number> {
  const ports = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local) continue;
    const port = Number.parseInt(local.split(':').at(-1) ?? '', 16);
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports;
}

export function listeningPorts(files = ['/proc/net/tcp', '/proc/net/tcp6']): Set<number> {
  const ports = new Set<number>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue; // no IPv6, or no /proc: nothing to say
    }
    for (const p of listeningPortsIn(text)) ports.add(p);
  }
  return ports;
}

/**
 * Refuses a mapping whose host port something other than dokku's nginx holds. `ours` are the
 * ports nginx listens on for dokku (the proxy's ports and every app's mappings): those are
 * bound by nginx itself and stay allowed.
 */
export function assertHostPortsFree(mappings: PortMapping[], ours: Set<number>, listening = listeningPorts()): void {
  for (const m of mappings) {
    if (ours.has(m.host) || !listening.has(m.host)) continue;
    throw new UserError(`Port ${m.host} is already in use on this host: nginx could not listen on it (choose another host port)`);
  }
}

/** The interface of the IPv4 default route (destination 00000000) in a /proc/net/route table. */
export function defaultRouteInterface(table: string): string | undefined {
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , flags] = line.trim().split(/\s+/);
    // RTF_UP (1): a route that is down is no way out.
    if (iface && destination === '00000000' && (Number.parseInt(flags ?? '0', 16) & 1) === 1) return iface;
  }
  return undefined;
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The address another machine reaches this host at, for a vhost without domains: the one nginx
 * listens on when it is bound to one, else the first IPv4 address of the default route's
 * interface, else any non-loopback IPv4 address, else loopback.
 */
export function hostAddressFrom(listen: string, routeTable: string, interfaces: Interfaces): string {
  if (listen && listen !== '0.0.0.0' && listen !== '[::]' && listen !== '*') return listen;
  const ipv4 = (name: string) => interfaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const iface = defaultRouteInterface(routeTable);
  const viaDefault = iface ? ipv4(iface) : undefined;
  if (viaDefault) return viaDefault;
  for (const name of Object.keys(interfaces)) {
    const found = ipv4(name);
    if (found) return found;
  }
  return '127.0.0.1';
}

export function hostAddress(listen: string): string {
  let table = '';
  try {
    table = readFileSync('/proc/net/route', 'utf8');
  } catch {
    // no /proc: fall back to the interfaces alone
  }
  return hostAddressFrom(listen, table, networkInterfaces());
}
