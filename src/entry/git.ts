import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { Context } from '../app/context.ts';
import { createApp } from '../app/lifecycle.ts';
import { step } from '../lib/output.ts';
import { UserError } from '../lib/errors.ts';
import { gitRepoPath } from '../lib/settings.ts';
import type { Caller } from '../ssh/access.ts';
import { selfCommand } from '../lib/self.ts';
import { checkAccess } from '../app/access.ts';
import { findApp } from '../state/queries.ts';
import { setting } from '../state/release-queries.ts';
import { appFromRepoPath, ensureRepo, renderPreReceiveHook } from '../git/repo.ts';

/**
 * `git push dokku@host:app` arrives as `git-receive-pack 'app'`, `git fetch` as `git-upload-pack`.
 * The key's access to the app is checked first; a push to a new app creates it (an admin's, unless
 * autocreation is disabled) and its bare repository; then git's own program serves the request
 * over this process's stdin and stdout. Anything we say goes to stderr: stdout is git's protocol.
 */
export async function serveGit(ctx: Context, caller: Caller, verb: 'git-receive-pack' | 'git-upload-pack', args: string[]): Promise<number> {
  if (args.length !== 1) throw new UserError(`${verb} takes one repository path, got ${args.length}`);
  const app = appFromRepoPath(args[0]!);
  await checkAccess(ctx, caller, verb, { kind: 'app', app });
  const store = await ctx.store();
  const repo = gitRepoPath(ctx.settings, app);
  if (!findApp(store.db, app)) {
    if (verb === 'git-upload-pack') throw new UserError(`App ${app} does not exist`);
    if (setting(store.db, '', 'apps', 'disable-autocreation') === 'true') {
      throw new UserError(`App ${app} does not exist and autocreation is disabled: run apps:create ${app} first`);
    }
    await createApp(ctx, app, { ifAbsent: true });
    ctx.io.err(step(`Creating app ${app}`));
  } else if (verb === 'git-upload-pack' && !existsSync(repo)) {
    throw new UserError(`App ${app} has no git repository yet: push to it first`);
  }
  await ensureRepo(repo, renderPreReceiveHook(selfCommand(), app));
  // The hook opens the state itself; nothing here needs it while git runs.
  ctx.close();
  const r = await execa(verb, [repo], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', reject: false });
  return r.exitCode ?? 1;
}
