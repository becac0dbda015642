import { appStream, GLOBAL_STREAM } from '../state/events.ts';
import { getSettings } from '../state/release-queries.ts';
import { decideSetting } from '../state/settings-schema.ts';
import { execute } from '../state/execute.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import type { Context } from './context.ts';

/** Changes one setting (app scope, or global when `app` is undefined) through its schema. */
export async function setSetting(ctx: Context, app: string | undefined, namespace: string, key: string, value: string | null): Promise<boolean> {
  const { db } = await ctx.store();
  return setSettingOf(ctx, app === undefined ? undefined : requireApp(db, app), namespace, key, value);
}

/** `setSetting` for an app already resolved (undefined: the global scope). */
export async function setSettingOf(ctx: Context, appRow: AppRow | undefined, namespace: string, key: string, value: string | null): Promise<boolean> {
  const store = await ctx.store();
  const { db } = store;
  const scope = appRow?.id ?? '';
  const stream = appRow ? appStream(appRow.id) : GLOBAL_STREAM;
  const events = execute(
    store,
    stream,
    () => getSettings(db, scope, namespace)[key],
    (current) => decideSetting(namespace, key, value, current, appRow === undefined),
    ctx.actor,
  );
  return events.length > 0;
}
