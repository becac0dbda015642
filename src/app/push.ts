import { workDirPrefix } from '../builder/cleanup.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setSetting } from './settings.ts';
import type { Context } from './context.ts';
import { step } from '../lib/output.ts';
import { makePipeline } from './wiring.ts';
import { deploySource } from './deploy.ts';
import { UserError } from '../lib/errors.ts';
import { gitRepoPath } from '../lib/settings.ts';
import type { Database } from '../state/db.ts';
import { requireApp } from '../state/queries.ts';
import { setting } from '../state/release-queries.ts';
import { describeRef, isZeroSha, parseRefUpdates, planPush } from '../git/push.ts';
import { setHead } from '../git/repo.ts';
import { loadExeca } from '../lib/execa.ts';

/** The deploy branch: the app's setting, else the global one, else none yet. */
export function deployBranchOf(db: Database, appId: string): string | undefined {
  return setting(db, appId, 'git', 'deploy-branch') || undefined;
}

/**
 * The pre-receive hook: reads git's `old new ref` lines, deploys the deploy branch's new commit
 * (git archive → build → release → deploy) and says what happened to the others. Everything
 * printed reaches the pusher as `remote:` lines; a failure exits non-zero and git then refuses
 * every ref of the push, so the branch is not moved and the old release keeps serving.
 */
export async function runPreReceive(ctx: Context, app: string, input: string): Promise<void> {
  const { io } = ctx;
  const updates = parseRefUpdates(input);
  const { db } = await ctx.store();
  const row = requireApp(db, app);
  const plan = planPush(updates, deployBranchOf(db, row.id));
  const repo = gitRepoPath(ctx.settings, app);
  if (plan.chosen && plan.deployBranch) {
    await setSetting(ctx, app, 'git', 'deploy-branch', plan.deployBranch);
    io.out(step(`Deploy branch of ${app} set to ${plan.deployBranch}, the first branch pushed (git:set ${app} deploy-branch B changes it)`));
  }
  if (plan.deployBranch) await setHead(repo, plan.deployBranch);
  for (const u of plan.stored) {
    io.out(step(`${describeRef(u.ref)} ${isZeroSha(u.new) ? 'deleted' : 'stored'}; only the deploy branch (${plan.deployBranch ?? 'none yet'}) deploys`));
  }
  const target = plan.deploy;
  if (!target) return;
  if (isZeroSha(target.new)) {
    io.out(step(`Deploy branch ${plan.deployBranch} deleted; ${app} keeps running its current release`));
    return;
  }
  io.out(step(`Deploying ${app} from ${plan.deployBranch} (${target.new.slice(0, 7)})`));
  const dir = mkdtempSync(join(tmpdir(), workDirPrefix(app, 'push')));
  try {
    const tar = join(dir, 'source.tar');
    // The pushed objects are still in git's quarantine: git archive finds them through the
    // GIT_* variables it set for this hook, which we pass on unchanged.
    // The Docker client loads while git writes the archive.
    const [r, pipeline] = await Promise.all([
      loadExeca().then((execa) => execa('git', ['archive', '--format=tar', '-o', tar, target.new], { cwd: repo, reject: false, stdin: 'ignore' })),
      makePipeline(ctx),
    ]);
    if (r.exitCode !== 0) throw new UserError(`git archive of ${target.new.slice(0, 7)} failed: ${r.stderr.trim().split('\n')[0]}`);
    await deploySource(pipeline, app, { kind: 'git', path: tar, sha: target.new });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
