import type { CAC } from 'cac';
import { cleanupDocker } from '../app/build-maintenance.ts';
import type { Context } from '../app/context.ts';
import { step } from '../lib/output.ts';
import { validateAppName } from '../lib/validate.ts';
import { requireApp } from '../state/queries.ts';

/** Dokku's `cleanup`, limited to what carries dokku's app label (runtime/cleanup.ts). */
export function registerCleanup(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  cli.command('cleanup [app]', "Removes dokku's exited containers and dangling images (only those of the app, when named)").action(async (name: string | undefined) => {
    const { db } = await ctx.store();
    const app = name === undefined ? undefined : requireApp(db, validateAppName(name));
    const { containers, images } = await cleanupDocker(ctx, app);
    io.out(step(`Removed ${containers} exited container${containers === 1 ? '' : 's'} and ${images} dangling image${images === 1 ? '' : 's'}${app ? ` of ${app.name}` : ''}`));
  });
}
