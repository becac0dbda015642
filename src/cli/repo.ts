import type { CAC } from 'cac';
import { gcRepo, purgeBuildCache } from '../app/build-maintenance.ts';
import type { Context } from '../app/context.ts';
import { detail, step } from '../lib/output.ts';
import { validateAppName } from '../lib/validate.ts';
import { requireApp } from '../state/queries.ts';

export function registerRepo(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  cli.command('repo:gc <app>', "Runs 'git gc --quiet' in the app's repository").action(async (name: string) => {
    const { db } = await ctx.store();
    const app = requireApp(db, validateAppName(name));
    await gcRepo(ctx, app, () => io.out(step(`Running git gc in ${app.name}'s repository`)), (l) => io.out(detail(l)));
  });
  cli.command('repo:purge-cache <app>', "Deletes the app's build cache (the next build starts without it)").action(async (name: string) => {
    const { db } = await ctx.store();
    const app = requireApp(db, validateAppName(name));
    await purgeBuildCache(ctx, app);
    io.out(step(`Purged the build cache of ${app.name}`));
  });
}
