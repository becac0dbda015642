import type { ConfigCommand } from '../state/deciders.ts';
import { decideConfig } from '../state/deciders.ts';
import { GLOBAL_STREAM } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { getConfig, requireApp } from '../state/queries.ts';
import { loadReleaseState } from '../state/release-queries.ts';
import type { EventStore } from '../state/store.ts';
import type { Context } from './context.ts';
import { pluginTriggers } from './triggers.ts';
import { runAppCommand } from './lifecycle.ts';

/**
 * Records a config change. On a deployed app (unless --no-restart) the change and a new release
 * are one append, and the release is deployed with zero downtime; otherwise it waits for the next.
 */
export async function changeConfig(ctx: Context, app: string | undefined, command: ConfigCommand, restart: boolean, announce: (changed: boolean) => void): Promise<void> {
  await changeConfigOnly(ctx, app, command, restart, announce);
  // Dokku's post-config-update: APP set|unset|clear KEY=VALUE… (keys only for unset).
  if (app === undefined) return;
  const action = command.type === 'config:import' ? 'set' : command.type.slice('config:'.length);
  const words = command.type === 'config:set' || command.type === 'config:import' ? Object.entries(command.vars).map(([k, v]) => `${k}=${v}`) : command.type === 'config:unset' ? command.keys : [];
  await pluginTriggers(ctx.settings, ctx.io.out).fire('post-config-update', [app, action, ...words]);
}

async function changeConfigOnly(ctx: Context, app: string | undefined, command: ConfigCommand, restart: boolean, announce: (changed: boolean) => void): Promise<void> {
  if (app !== undefined) {
    const { db } = await ctx.store();
    const row = requireApp(db, app);
    if (!restart || loadReleaseState(db, row.id).current === undefined) return announce((await runAppCommand(ctx, app, command)).events.length > 0);
    const { makePipeline } = await import('./wiring.ts');
    const { decideAndDeploy } = await import('./deploy.ts');
    const { events } = await decideAndDeploy(await makePipeline(ctx), app, { type: 'config:change', command, restart }, (decided) => announce(decided.length > 0));
    if (events.length === 0) announce(false);
    return;
  }
  const store: EventStore = await ctx.store();
  announce(execute(store, GLOBAL_STREAM, () => getConfig(store.db, ''), (config) => decideConfig(command, config), ctx.actor).length > 0);
}
