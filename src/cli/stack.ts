import type { CAC } from 'cac';
import { getSetting } from '../state/release-queries.ts';
import type { Context } from './context.ts';

/** The stack image builds run on: the global `buildpacks stack` setting, else DOKKU_STACK_IMAGE. */
export async function stackImage(ctx: Context): Promise<string> {
  const { db } = await ctx.store();
  return getSetting(db, '', 'buildpacks', 'stack', '') || ctx.settings.stackImage;
}

export function registerStack(cli: CAC, ctx: Context): void {
  cli
    .command('stack:build', 'Build the base image for buildpack builds, offline (debootstrap, docker import)')
    .option('--force', 'Rebuild even when the image exists')
    .action(async (opts: { force?: boolean }) => {
      const [{ connectDocker }, { ensureStack }] = await Promise.all([import('../runtime/docker-client.ts'), import('../build/stack.ts')]);
      const image = await stackImage(ctx);
      const result = await ensureStack(await connectDocker(ctx.settings), {
        image,
        force: Boolean(opts.force),
        onLine: ctx.io.out,
        caBundle: ctx.settings.caBundle,
      });
      if (!result.built) ctx.io.out(`-----> Stack ${image} is present (${result.imageId.slice(7, 19)}); --force rebuilds it`);
    });
}
