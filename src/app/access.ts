import type { Context } from '../app/context.ts';
import { UserError } from '../lib/errors.ts';
import { findKeyByFingerprint, grantedAppIds, hasGrant } from '../state/access-queries.ts';
import { ACCESS_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import type { EventStore } from '../state/store.ts';
import { findApp } from '../state/queries.ts';
import { findService, hasServiceGrant } from '../state/service-queries.ts';
import { denialMessage, judge, type Caller, type KeyAccess, type Requirement } from '../ssh/access.ts';

/**
 * Allows the call or refuses it with one line; a refusal appends only the AccessDenied event.
 * For a non-admin key, the apps it may see are left on the context (apps:list shows only those).
 */
export async function checkAccess(ctx: Context, caller: Caller, command: string, requirement: Requirement): Promise<KeyAccess | undefined> {
  if (caller.kind === 'local') return undefined;
  const store = await ctx.store();
  const { db } = store;
  const key = findKeyByFingerprint(db, caller.fingerprint);
  const verdict = judge(
    key,
    command,
    requirement,
    (app) => {
      const row = findApp(db, app);
      return row !== undefined && key !== undefined && hasGrant(db, key.name, row.id);
    },
    (kind, name) => {
      const row = findService(db, kind, name);
      return row !== undefined && key !== undefined && hasServiceGrant(db, key.name, row.id);
    },
  );
  if (!verdict.allowed) refuse(store, caller, command, verdict.reason, requirement.kind === 'app' || requirement.kind === 'service' ? requirement.app : undefined);
  if (key && !key.admin) {
    ctx.visibleApps = grantedAppIds(db, key.name);
    ctx.tenant = { key: caller.name, refuse: async (cmd, reason, app) => refuse(store, caller, cmd, reason, app) };
  }
  return key;
}

/** One refusal: the AccessDenied event and nothing else, then the one line the caller reads. */
function refuse(store: EventStore, caller: Extract<Caller, { kind: 'key' }>, command: string, reason: string, app: string | undefined): never {
  execute(
    store,
    ACCESS_STREAM,
    () => null,
    () => [{ type: 'AccessDenied', data: { key: caller.name, fingerprint: caller.fingerprint, command, ...(app === undefined ? {} : { app }), reason } }],
    caller.name,
  );
  throw new UserError(denialMessage(caller.name, { allowed: false, reason }));
}
