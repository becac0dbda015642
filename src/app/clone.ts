import { cpSync, existsSync } from 'node:fs';
import { UserError } from '../lib/errors.ts';
import { gitRepoPath } from '../lib/settings.ts';
import { selfCommand } from '../lib/self.ts';
import { ensureRepo, renderPreReceiveHook } from '../git/repo.ts';
import { getConfig, findApp, requireApp } from '../state/queries.ts';
import { appSettingRows, listReleases } from '../state/release-queries.ts';
import { changeConfig } from './config.ts';
import type { Context } from './context.ts';
import { createApp } from './lifecycle.ts';
import { setSetting } from './settings.ts';

export interface CloneOptions {
  /** Copy only: no build, no deploy. */
  skipDeploy?: boolean;
  /** A new app that already exists is not an error: nothing is done. */
  ignoreExisting?: boolean;
}

export type CloneResult = { kind: 'exists' } | { kind: 'cloned'; deployed: boolean };

/**
 * `apps:clone`, as Dokku's: a new app with the old one's config vars, its own settings (builder,
 * buildpacks, checks, deploy branch, nginx…) and its git repository, then built from the old one's
 * last source and deployed. Domains and certificates stay with the old app (they cannot serve two).
 */
export async function cloneApp(ctx: Context, from: string, to: string, opts: CloneOptions = {}): Promise<CloneResult> {
  const { db } = await ctx.store();
  const source = requireApp(db, from);
  if (findApp(db, to)) {
    if (opts.ignoreExisting) return { kind: 'exists' };
    throw new UserError(`Name is already taken: ${to}`);
  }
  await createApp(ctx, to);
  const vars = getConfig(db, source.id);
  if (Object.keys(vars).length) await changeConfig(ctx, to, { type: 'config:set', vars }, false, () => {});
  for (const s of appSettingRows(db, source.id)) await setSetting(ctx, to, s.namespace, s.key, s.value);
  const oldRepo = gitRepoPath(ctx.settings, from);
  if (existsSync(oldRepo)) {
    const repo = gitRepoPath(ctx.settings, to);
    cpSync(oldRepo, repo, { recursive: true, errorOnExist: true });
    await ensureRepo(repo, renderPreReceiveHook(selfCommand(), to));
  }
  const current = listReleases(db, source.id, 1)[0];
  if (opts.skipDeploy || !current) return { kind: 'cloned', deployed: false };
  const [{ makePipeline }, { deploySource, rebuildSource }] = await Promise.all([import('./wiring.ts'), import('./deploy.ts')]);
  await deploySource(await makePipeline(ctx), requireApp(db, to), rebuildSource(ctx.settings, source.id, current));
  return { kind: 'cloned', deployed: true };
}
