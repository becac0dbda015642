import { allowedHosts } from '../git/host-keys.ts';
import { fetchInto, revParse } from '../git/fetch.ts';
import { ensureRepo, renderPreReceiveHook, setHead } from '../git/repo.ts';
import { hostLocalReason } from '../builder/archive-upload.ts';
import { parseGitRemote, validateGitRef } from '../lib/git-url.ts';
import { step } from '../lib/output.ts';
import { selfCommand } from '../lib/self.ts';
import { gitRepoPath } from '../lib/settings.ts';
import { requireApp } from '../state/queries.ts';
import { forbidTenant, type Context } from './context.ts';
import { deployBranchOf, deployPushedCommit } from './push.ts';
import { setSettingOf } from './settings.ts';

export interface SyncOptions {
  build: boolean;
  buildIfChanges: boolean;
}

/**
 * git:sync: fetches REF (the remote's HEAD by default) of a remote into the app's deploy branch,
 * then deploys it if asked. A tenant may fetch only from hosts an admin allowed with
 * git:allow-host, and never from an address of this server.
 */
export async function syncApp(ctx: Context, name: string, url: string, ref: string | undefined, opts: SyncOptions): Promise<void> {
  const remote = parseGitRemote(url);
  const gitRef = ref === undefined ? 'HEAD' : validateGitRef(ref);
  const { db } = await ctx.store();
  const app = requireApp(db, name);
  if (ctx.tenant) {
    if (!allowedHosts(ctx.settings.root).includes(remote.host)) {
      await forbidTenant(ctx, 'git:sync', `host ${remote.host} is not allowed: an admin adds it with git:allow-host`, app.name);
    }
    const local = await hostLocalReason(new URL(`http://${remote.host.includes(':') ? `[${remote.host}]` : remote.host}/`));
    if (local) await forbidTenant(ctx, 'git:sync', local, app.name);
  }
  const repo = gitRepoPath(ctx.settings, app.name);
  await ensureRepo(repo, renderPreReceiveHook(selfCommand(), app.name));
  const set = deployBranchOf(db, app.id);
  const branch = set ?? 'master';
  const before = await revParse(repo, `refs/heads/${branch}`);
  const after = await fetchInto(repo, remote, gitRef, branch, { root: ctx.settings.root, tenant: Boolean(ctx.tenant) });
  // Recorded only once something was fetched: a failed sync changes nothing.
  if (!set) await setSettingOf(ctx, app, 'git', 'deploy-branch', branch);
  await setHead(repo, branch);
  const changed = before !== after;
  ctx.io.out(step(`${changed ? 'Synced' : 'Unchanged:'} ${app.name} ${branch} at ${after.slice(0, 7)} from ${remote.host}`));
  if (opts.build || (opts.buildIfChanges && changed)) {
    ctx.io.out(step(`Deploying ${app.name} from ${branch} (${after.slice(0, 7)})`));
    await deployPushedCommit(ctx, app, repo, after);
  } else if (opts.buildIfChanges) {
    ctx.io.out(step(`Skipping build of ${app.name}: no changes`));
  }
}

