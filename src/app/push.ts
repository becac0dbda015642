import { workDirPrefix } from '../builder/cleanup.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setSettingOf } from './settings.ts';
import type { Context } from './context.ts';
import { step } from '../lib/output.ts';
import { makePipeline } from './wiring.ts';
import { deploySource } from './deploy.ts';
import { UserError } from '../lib/errors.ts';
import { gitRepoPath } from '../lib/settings.ts';
import type { Database } from '../state/db.ts';
import type { AppRow } from '../state/queries.ts';
import { setting } from '../state/release-queries.ts';
import { describeRef, isZeroSha, parseRefUpdates, planPush } from '../git/push.ts';
import { listBranches, setHead } from '../git/repo.ts';
import { loadExeca } from '../lib/execa.ts';
import { handlersOf } from '../plugins/catalog.ts';
import { pluginDirs } from '../plugins/dirs.ts';
import { pluginTriggers } from './triggers.ts';
import { mkdirSync } from 'node:fs';

/** The deploy branch: the app's setting, else the global one, else none yet. */
export function deployBranchOf(db: Database, appId: string): string | undefined {
  return setting(db, appId, 'git', 'deploy-branch') || undefined;
}

/**
 * Before `ps:rebuild` of an app with a git repository: a deploy branch without commits (set with
 * git:set but never pushed) is refused, as in Dokku, rather than rebuilding what ran before.
 */
export async function requireDeployBranchCommits(settings: Context['settings'], db: Database, app: AppRow): Promise<void> {
  const branch = deployBranchOf(db, app.id);
  const repo = gitRepoPath(settings, app.name);
  if (!branch || !existsSync(join(repo, 'HEAD'))) return;
  if (branch in (await listBranches(repo))) return;
  throw new UserError(`Deploy branch ${branch} of ${app.name} has no commits: push to it (git push dokku ${branch}), or git:set ${app.name} deploy-branch to a branch that has them`);
}

/** Deploys one pushed commit of the app's repository. */
export type DeployCommit = (ctx: Context, app: AppRow, repo: string, sha: string) => Promise<void>;

/**
 * The pre-receive hook: reads git's `old new ref` lines, deploys the deploy branch's new commit
 * (git archive → build → release → deploy) and says what happened to the others. Everything
 * printed reaches the pusher as `remote:` lines; a failure exits non-zero and git then refuses
 * every ref of the push, so the branch is not moved and the old release keeps serving.
 */
export async function runPreReceive(ctx: Context, app: AppRow, input: string, deployCommit: DeployCommit = deployPushedCommit): Promise<void> {
  const { io } = ctx;
  const updates = parseRefUpdates(input);
  const { db } = await ctx.store();
  const plan = planPush(updates, deployBranchOf(db, app.id));
  const repo = gitRepoPath(ctx.settings, app.name);
  if (plan.chosen && plan.deployBranch) {
    await setSettingOf(ctx, app, 'git', 'deploy-branch', plan.deployBranch);
    io.out(step(`Deploy branch of ${app.name} set to ${plan.deployBranch}, the first branch pushed (git:set ${app.name} deploy-branch B changes it)`));
  }
  if (plan.deployBranch) await setHead(repo, plan.deployBranch);
  for (const u of plan.stored) {
    io.out(step(`${describeRef(u.ref)} ${isZeroSha(u.new) ? 'deleted' : 'stored'}; only the deploy branch (${plan.deployBranch ?? 'none yet'}) deploys`));
  }
  const target = plan.deploy;
  if (!target) return;
  if (isZeroSha(target.new)) {
    io.out(step(`Deploy branch ${plan.deployBranch} deleted; ${app.name} keeps running its current release`));
    return;
  }
  io.out(step(`Deploying ${app.name} from ${plan.deployBranch} (${target.new.slice(0, 7)})`));
  await deployCommit(ctx, app, repo, target.new);
}

/** git archive of the commit, then the deploy pipeline on the real adapters. */
export async function deployPushedCommit(ctx: Context, app: AppRow, repo: string, sha: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), workDirPrefix(app.name, 'push')));
  try {
    const tar = join(dir, 'source.tar');
    // The pushed objects are still in git's quarantine: git archive finds them through the
    // GIT_* variables it set for this hook, which we pass on unchanged.
    // The Docker client loads while git writes the archive.
    const [r, pipeline] = await Promise.all([
      loadExeca().then((execa) => execa('git', ['archive', '--format=tar', '-o', tar, sha], { cwd: repo, reject: false, stdin: 'ignore' })),
      makePipeline(ctx),
    ]);
    if (r.exitCode !== 0) throw new UserError(`git archive of ${sha.slice(0, 7)} failed: ${r.stderr.trim().split('\n')[0]}`);
    await preReceiveApp(ctx, app, dir, tar, sha);
    await deploySource(pipeline, app, { kind: 'git', path: tar, sha });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Dokku's pre-receive-app APP SOURCE_TYPE SOURCE_DIR REV: the pushed tree unpacked for the plugins,
 * which may refuse the push (non-zero) or change files; what they leave is what builds. Nothing is
 * unpacked when no enabled plugin has the trigger.
 */
async function preReceiveApp(ctx: Context, app: AppRow, dir: string, tar: string, sha: string): Promise<void> {
  if (handlersOf(pluginDirs(ctx.settings), 'pre-receive-app').length === 0) return;
  const execa = await loadExeca();
  const src = join(dir, 'src');
  mkdirSync(src);
  const x = await execa('tar', ['-xf', tar, '-C', src], { reject: false, stdin: 'ignore' });
  if (x.exitCode !== 0) throw new UserError(`Unpacking ${sha.slice(0, 7)} for the pre-receive-app plugins failed: ${x.stderr.trim().split('\n')[0]}`);
  await pluginTriggers(ctx.settings, ctx.io.out).fire('pre-receive-app', [app.name, 'git', src, sha]);
  const c = await execa('tar', ['-cf', tar, '-C', src, '.'], { reject: false, stdin: 'ignore' });
  if (c.exitCode !== 0) throw new UserError(`Packing ${sha.slice(0, 7)} after the pre-receive-app plugins failed: ${c.stderr.trim().split('\n')[0]}`);
}
