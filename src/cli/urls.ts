import type { CAC } from 'cac';
import { UserError } from '../lib/errors.ts';
import { appUrls } from '../app/routing.ts';
import { requireApp } from '../state/queries.ts';
import { validateAppName } from '../lib/validate.ts';
import type { Context } from '../app/context.ts';
import { routingDeps } from './proxy.ts';

export function registerUrls(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const urlsOf = async (name: string) => {
    const deps = await routingDeps(ctx);
    const app = requireApp(deps.store.db, validateAppName(name));
    const urls = appUrls(deps, app);
    if (urls.length === 0) throw new UserError(`${app.name} has no URL: give it a domain (domains:add) or set a global domain (domains:set-global), and keep its proxy enabled`);
    return urls;
  };
  cli.command('url <app>', 'Print the app\'s main URL').action(async (name: string) => io.out((await urlsOf(name))[0]!));
  cli.command('urls <app>', 'Print every URL the app answers at').action(async (name: string) => {
    for (const u of await urlsOf(name)) io.out(u);
  });
}
