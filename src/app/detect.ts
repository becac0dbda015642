import { existsSync } from 'node:fs';
import { buildPlan, detectBuiltinBuildpack } from '../builder/plan.ts';
import { scanSource } from '../builder/source.ts';
import { UserError } from '../lib/errors.ts';
import { sourcePath } from '../lib/settings.ts';
import type { AppRow } from '../state/queries.ts';
import { getSettings, loadReleaseState, setting } from '../state/release-queries.ts';
import type { Context } from './context.ts';

export interface Detected {
  builder: string;
  /** Where the buildpack list comes from (herokuish only). */
  from?: string;
  /** The buildpack the build would run first; for detection, the built-in that matches. */
  buildpack?: string;
}

/** What the next `ps:rebuild` would build with, read from the source the last build kept. */
export async function detectFromStoredSource(ctx: Context, app: AppRow): Promise<Detected> {
  const path = sourcePath(ctx.settings, app.id);
  if (!existsSync(path)) throw new UserError(`${app.name} has no stored source yet: deploy it first`);
  const { db } = await ctx.store();
  const source = await scanSource(path);
  const plan = buildPlan({
    files: source.files,
    selected: setting(db, app.id, 'builder', 'selected') || setting(db, '', 'builder', 'selected') || null,
    buildpacks: JSON.parse(getSettings(db, app.id, 'buildpacks').list ?? '[]') as string[],
    ...(source.buildFiles['.buildpacks'] !== undefined ? { buildpacksFile: source.buildFiles['.buildpacks'] } : {}),
    env: loadReleaseState(db, app.id).config,
  });
  if (plan.builder !== 'herokuish') return { builder: plan.builder };
  if (plan.from !== 'detect') return { builder: plan.builder, from: plan.from, buildpack: plan.buildpacks[0]!.ref };
  const found = detectBuiltinBuildpack(source.files);
  if (!found) throw new UserError(`No buildpack detected for ${app.name}'s source; set one with buildpacks:set`);
  return { builder: plan.builder, from: plan.from, buildpack: found };
}
