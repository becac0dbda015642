import { readFileSync } from 'node:fs';
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
