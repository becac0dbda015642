import { addKnownHosts, generateDeployKey, readPublicKey, scanHostKeys } from '../git/host-keys.ts';
import { GLOBAL_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import type { Context } from './context.ts';

/**
 * The hosts dokku trusts for `git:sync` (its known_hosts: tenants may sync only from these) and its
 * own deploy key are host state, so each change is an event as well as a file: the audit log shows
 * who trusted which host key and when.
 */

/** Scans the host's ssh keys and trusts the new ones; returns how many were new. */
export async function allowGitHost(ctx: Context, host: string, port?: number): Promise<number> {
  const lines = await scanHostKeys(host, port);
  const fresh = addKnownHosts(ctx.settings.root, lines);
  if (fresh.length > 0) {
    const store = await ctx.store();
    execute(store, GLOBAL_STREAM, () => null, () => [{ type: 'GitHostAllowed', data: { host, ...(port ? { port } : {}), keys: fresh } }], ctx.actor);
  }
  return fresh.length;
}

/** Makes dokku's deploy key unless it has one (true if made); the event holds only the public half. */
export async function createDeployKey(ctx: Context): Promise<boolean> {
  const made = await generateDeployKey(ctx.settings.root);
  if (made) {
    const store = await ctx.store();
    const publicKey = readPublicKey(ctx.settings.root);
    execute(store, GLOBAL_STREAM, () => null, () => [{ type: 'DeployKeyGenerated', data: { publicKey } }], ctx.actor);
  }
  return made;
}
