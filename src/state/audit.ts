import type { StoredEvent } from './events.ts';

/**
 * How an event reads in the audit log. Config values never leave through here: only their keys.
 */
export function summarize(e: StoredEvent): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'AppCreated':
      return `Created ${d.name}`;
    case 'AppRenamed':
      return `Renamed ${d.from} to ${d.to}`;
    case 'AppDestroyed':
      return `Destroyed ${d.name}`;
    case 'AppLocked':
      return 'Locked';
    case 'AppUnlocked':
      return 'Unlocked';
    case 'ConfigSet':
      return `Set ${Object.keys(d.vars as object).join(', ')}`;
    case 'ConfigUnset':
      return `Unset ${(d.keys as string[]).join(', ')}`;
    default:
      return e.type;
  }
}

/** The payload as the audit log may show it: secrets reduced to their keys. */
export function maskedData(e: StoredEvent): unknown {
  if (e.type === 'ConfigSet') return { keys: Object.keys((e.data as { vars: object }).vars) };
  if (e.type === 'ReleaseCreated') {
    // A release carries a full config snapshot: show which keys it had, never their values.
    const { config, env, ...rest } = e.data as { config: object; env: object };
    return { ...rest, config: Object.keys(config ?? {}), env: Object.keys(env ?? {}) };
  }
  return e.data;
}
