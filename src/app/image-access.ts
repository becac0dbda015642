import { imageClaims } from '../builder/image-ref.ts';
import { ownNames, otherAppReleasing } from '../state/image-queries.ts';
import { requireApp } from '../state/queries.ts';
import { printable } from '../lib/validate.ts';
import { forbidTenant, type Context } from './context.ts';

/**
 * Images dokku built belong to their app: a tenant may deploy an image by name only if no other
 * app claims it, by its `dokku/<app>` repository, by any tag or app label the local image has, or
 * by running it in one of its releases. Admins and local callers may deploy any image.
 */
export async function refuseForeignImage(ctx: Context, command: string, app: string, image: string): Promise<void> {
  if (!ctx.tenant) return;
  const { db } = await ctx.store();
  const row = requireApp(db, app);
  const own = new Set(ownNames(db, row.id));
  // The other app is not named: which apps exist is not for a tenant to learn from this.
  const refuse = () => forbidTenant(ctx, command, `image ${printable(image)} belongs to another app`, app);
  if (imageClaims(image, undefined).some((n) => !own.has(n))) return refuse();
  const [{ connectDocker }, { inspectLocalImage }] = await Promise.all([import('../lib/docker-client.ts'), import('../builder/from-image.ts')]);
  const facts = await inspectLocalImage(await connectDocker(ctx.settings), image);
  if (!facts) return;
  if (imageClaims(image, facts).some((n) => !own.has(n)) || otherAppReleasing(db, row.id, facts.id) !== undefined) return refuse();
}
