import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { stackImage } from '../app/wiring.ts';

export function registerStack(cli: CAC, ctx: Context): void {
  cli
    .command('stack:build', 'Build the base image for buildpack builds, offline (debootstrap, docker import)')
    .option('--force', 'Rebuild even when the image exists')
    .action(async (opts: { force?: boolean }) => {
      const [{ connectDocker }, { ensureStack }] = await Promise.all([import('../lib/docker-client.ts'), import('../builder/stack.ts')]);
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
