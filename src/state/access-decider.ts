import { UserError } from '../lib/errors.ts';
import { isWildcard, validateDomain } from '../lib/domains.ts';
import { printable } from '../lib/validate.ts';
import type { DomainEvent } from './events.ts';

/**
 * SSH keys and per-app grants as a decider. Keys are named; a name becomes an environment value in
 * the forced command of `authorized_keys`, so it is held to a strict alphabet. The state is the
 * projections' (`loadAccessState`), not a fold of its own: see deciders.ts.
 */

const KEY_NAME = /^[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,63}$/;

export function validateKeyName(name: string): string {
  if (!KEY_NAME.test(name)) {
    throw new UserError(
      `Invalid key name '${printable(name)}': use 1 to 64 letters, digits, '_', '.', '@' or '-', not starting with '-'`,
    );
  }
  return name;
}

export interface KeyRecord {
  name: string;
  fingerprint: string;
  admin: boolean;
}

export interface AccessState {
  keys: KeyRecord[];
  /** Grants as `key` → app ids. */
  grants: Record<string, string[]>;
  /** Service grants as `key` → service ids. */
  serviceGrants: Record<string, string[]>;
}

export interface ParsedKey {
  keyType: string;
  /** "type base64": what goes into authorized_keys after the options. */
  publicKey: string;
  fingerprint: string;
}

export type AccessCommand =
  | { type: 'ssh-keys:add'; name: string; key: ParsedKey; admin: boolean }
  | { type: 'ssh-keys:remove'; name?: string; fingerprint?: string }
  | { type: 'acl:add'; key: string; app: string; appId: string }
  | { type: 'acl:remove'; key: string; app: string; appId: string }
  | { type: 'acl:set'; key: string; property: string; value: string | undefined; current: string[] }
  | { type: 'acl:add-service' | 'acl:remove-service'; key: string; kind: string; name: string; serviceId: string };

/** `example.org,example.net` → validated, distinct suffixes (hostnames, no wildcards); '' → []. */
export function parseDomainGrant(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  if (value.length > 4096) throw new UserError(`Too many domains (${value.length} characters, at most 4096)`);
  const domains = [...new Set(value.split(',').map((d) => validateDomain(d.trim())))];
  const wild = domains.find(isWildcard);
  if (wild) throw new UserError(`A domain grant is a suffix, not a wildcard: use ${wild.slice(2)} (names under it are granted)`);
  if (domains.length > 100) throw new UserError(`Too many domains (${domains.length}, at most 100)`);
  return domains;
}

export function decideAccess(command: AccessCommand, state: AccessState): DomainEvent[] {
  switch (command.type) {
    case 'ssh-keys:add': {
      const name = validateKeyName(command.name);
      if (state.keys.some((k) => k.name === name)) throw new UserError(`A key named ${name} already exists`);
      const same = state.keys.find((k) => k.fingerprint === command.key.fingerprint);
      if (same) throw new UserError(`This key is already added, as ${same.name} (${same.fingerprint})`);
      // The first key is the one that can add the others.
      const admin = command.admin || state.keys.length === 0;
      return [{ type: 'SshKeyAdded', data: { name, fingerprint: command.key.fingerprint, keyType: command.key.keyType, publicKey: command.key.publicKey, admin } }];
    }
    case 'ssh-keys:remove': {
      const key =
        command.name !== undefined
          ? state.keys.find((k) => k.name === validateKeyName(command.name!))
          : state.keys.find((k) => k.fingerprint === command.fingerprint);
      if (!key) throw new UserError(command.name !== undefined ? `No key named ${command.name}` : `No key with fingerprint ${printable(command.fingerprint ?? '')}`);
      return [{ type: 'SshKeyRemoved', data: { name: key.name, fingerprint: key.fingerprint } }];
    }
    case 'acl:add': {
      const key = requireKey(state, command.key);
      if (key.admin) throw new UserError(`Key ${key.name} is an admin key: it may already use every app`);
      if (state.grants[key.name]?.includes(command.appId)) return [];
      return [{ type: 'AccessGranted', data: { key: key.name, app: command.app, appId: command.appId } }];
    }
    case 'acl:set': {
      const key = requireKey(state, command.key);
      if (command.property !== 'domains') throw new UserError(`Unknown ACL property '${printable(command.property)}': the one property is domains (acl:set KEY domains example.org[,example.net])`);
      if (key.admin) throw new UserError(`Key ${key.name} is an admin key: it may already add any domain`);
      const domains = parseDomainGrant(command.value);
      const same = domains.length === command.current.length && domains.every((d) => command.current.includes(d));
      return same ? [] : [{ type: 'KeyDomainsSet', data: { key: key.name, domains } }];
    }
    case 'acl:add-service': {
      const key = requireKey(state, command.key);
      if (key.admin) throw new UserError(`Key ${key.name} is an admin key: it may already use every service`);
      if (state.serviceGrants[key.name]?.includes(command.serviceId)) return [];
      return [{ type: 'ServiceAccessGranted', data: { key: key.name, kind: command.kind, name: command.name, serviceId: command.serviceId } }];
    }
    case 'acl:remove-service': {
      const key = requireKey(state, command.key);
      if (!state.serviceGrants[key.name]?.includes(command.serviceId)) throw new UserError(`Key ${key.name} has no access to ${command.kind} service ${command.name}`);
      return [{ type: 'ServiceAccessRevoked', data: { key: key.name, kind: command.kind, name: command.name, serviceId: command.serviceId } }];
    }
    case 'acl:remove': {
      const key = requireKey(state, command.key);
      if (!state.grants[key.name]?.includes(command.appId)) throw new UserError(`Key ${key.name} has no access to ${command.app}`);
      return [{ type: 'AccessRevoked', data: { key: key.name, app: command.app, appId: command.appId } }];
    }
  }
}

function requireKey(state: AccessState, name: string): KeyRecord {
  const key = state.keys.find((k) => k.name === validateKeyName(name));
  if (!key) throw new UserError(`No key named ${name}: see ssh-keys:list`);
  return key;
}
