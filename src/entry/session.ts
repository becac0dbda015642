import type { Context } from '../app/context.ts';
import { errorLine } from '../lib/output.ts';
import { runCommand, type Authorize } from '../cli/program.ts';
import { takeGlobalFlags } from '../cli/global-flags.ts';
import { UserError } from '../lib/errors.ts';
import { checkAccess } from '../app/access.ts';
import { callerFrom, pluginCommandRequirement, requirementOf, type Caller } from '../ssh/access.ts';

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
  // The command word after any global flags: `--quiet git-hook` is still the hook's plumbing.
  const command = commandWord(words);
  if (GIT_COMMANDS.has(verb) || (viaSsh && INTERNAL_COMMANDS.has(command))) {
    try {
      if (INTERNAL_COMMANDS.has(command)) throw new UserError(`${command} is run by dokku's git hook, not over SSH`);
      const { serveGit } = await import('./git.ts');
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

function commandWord(words: string[]): string {
  try {
    return takeGlobalFlags(words).rest[0] ?? '';
  } catch {
    return words[0] ?? '';
  }
}

/** The check runCommand makes on the parsed call of a key. */
export function keyGuard(ctx: Context, caller: Extract<Caller, { kind: 'key' }>): Authorize {
  const plugin: Authorize['plugin'] = async (command, args, appArg) => {
    await checkAccess(ctx, caller, command, pluginCommandRequirement(args, appArg));
  };
  return Object.assign(cliGuard(ctx, caller), { plugin });
}

function cliGuard(ctx: Context, caller: Extract<Caller, { kind: 'key' }>): (...a: Parameters<Authorize>) => Promise<void> {
  return async (command, args, options) => {
    const requirement = requirementOf({
      command: command.name,
      declared: command.args,
      takesGlobal: command.options.some((o) => o.names.includes('global')),
      args,
      rest: Array.isArray(options['--']) ? options['--'].map(String) : [],
      options,
      global: Boolean(options.global),
    });
    await checkAccess(ctx, caller, command.name, requirement);
  };
}
