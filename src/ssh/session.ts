import type { Context } from '../cli/context.ts';
import { errorLine } from '../cli/output.ts';
import { runCommand, type Authorize } from '../cli/program.ts';
import { UserError } from '../errors.ts';
import { findKeyByFingerprint, grantedAppIds, hasGrant } from '../state/access-queries.ts';
import { ACCESS_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import type { EventStore } from '../state/store.ts';
import { findApp } from '../state/queries.ts';
import { callerFrom, denialMessage, judge, requirementOf, type Caller, type KeyAccess, type Requirement } from './access.ts';

/** git's own commands, as the client sends them over SSH. */
export const GIT_COMMANDS = new Set(['git-receive-pack', 'git-upload-pack']);

/** Plumbing that our own git hook runs; a remote caller may not. */
const INTERNAL_COMMANDS = new Set(['git-hook']);

/**
 * One call, from argv or from SSH_ORIGINAL_COMMAND (`viaSsh`). The caller's key is checked against
 * the call before anything runs; git's push and fetch are served here, the rest by the CLI.
 */
export async function runSession(words: string[], ctx: Context, env: NodeJS.ProcessEnv, viaSsh: boolean): Promise<number> {
  const caller = callerFrom(env);
  const verb = words[0] ?? '';
  if (GIT_COMMANDS.has(verb) || (viaSsh && INTERNAL_COMMANDS.has(verb))) {
    try {
      if (INTERNAL_COMMANDS.has(verb)) throw new UserError(`${verb} is run by dokku's git hook, not over SSH`);
      const { serveGit } = await import('../git/receive.ts');
      return await serveGit(ctx, caller, verb as 'git-receive-pack' | 'git-upload-pack', words.slice(1));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.io.err(errorLine(err.message));
      return err.exitCode;
    } finally {
      ctx.close();
    }
  }
  return runCommand(words, ctx, caller.kind === 'key' ? keyGuard(ctx, caller) : undefined);
}

/** The check runCommand makes on the parsed call of a key. */
export function keyGuard(ctx: Context, caller: Extract<Caller, { kind: 'key' }>): Authorize {
  return async (command, args, options) => {
    const requirement = requirementOf({
      command: command.name,
      declared: command.args,
      takesGlobal: command.options.some((o) => o.names.includes('global')),
      args,
      global: Boolean(options.global),
    });
    await checkAccess(ctx, caller, command.name, requirement);
  };
}

/**
 * Allows the call or refuses it with one line; a refusal appends only the AccessDenied event.
 * For a non-admin key, the apps it may see are left on the context (apps:list shows only those).
 */
export async function checkAccess(ctx: Context, caller: Caller, command: string, requirement: Requirement): Promise<KeyAccess | undefined> {
  if (caller.kind === 'local') return undefined;
  const store = await ctx.store();
  const { db } = store;
  const key = findKeyByFingerprint(db, caller.fingerprint);
  const verdict = judge(key, command, requirement, (app) => {
    const row = findApp(db, app);
    return row !== undefined && key !== undefined && hasGrant(db, key.name, row.id);
  });
  if (!verdict.allowed) refuse(store, caller, command, verdict.reason, requirement.kind === 'app' ? requirement.app : undefined);
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
