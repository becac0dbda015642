import { UserError } from '../errors.ts';
import type { ServiceKind } from './kind.ts';
import { mariadb } from './mariadb.ts';
import { postgres } from './postgres.ts';
import { redis } from './redis.ts';

/** Every kind of service dokku has built in; each is one definition file. */
export const SERVICE_KINDS: readonly ServiceKind[] = [postgres, redis, mariadb];

export function serviceKind(name: string): ServiceKind {
  const kind = SERVICE_KINDS.find((k) => k.name === name);
  if (!kind) throw new UserError(`Unknown service type '${name}' (${SERVICE_KINDS.map((k) => k.name).join(', ')})`);
  return kind;
}

export const isServiceKind = (name: string): boolean => SERVICE_KINDS.some((k) => k.name === name);
