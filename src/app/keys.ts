import { resolve } from 'node:path';
import { forcedCommandEnv, renderAuthorizedKeys, writeAuthorizedKeys } from '../ssh/authorized-keys.ts';
import { selfCommand } from '../lib/self.ts';
import { decideAccess, type AccessCommand } from '../state/access-decider.ts';
import { listKeys, loadAccessState } from '../state/access-queries.ts';
import { ACCESS_STREAM, type StoredEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import type { Context } from './context.ts';

/** Appends an access command's events (keys, grants) through its decider. */
export async function runAccessCommand(ctx: Context, command: AccessCommand): Promise<StoredEvent[]> {
  const store = await ctx.store();
  return execute(store, ACCESS_STREAM, () => loadAccessState(store.db), (state) => decideAccess(command, state), ctx.actor);
}

/**
 * Renders authorized_keys from the keys in state and replaces the file if it changed. The forced
 * command runs this same program (its absolute path) with this process's settings.
 */
export async function syncAuthorizedKeys(ctx: Context): Promise<boolean> {
  const { db } = await ctx.store();
  const content = renderAuthorizedKeys(listKeys(db), { env: forcedCommandEnv(resolve(ctx.settings.root)), argv: selfCommand() });
  return writeAuthorizedKeys(ctx.settings.authorizedKeys, content);
}
