import type { Context } from '../app/context.ts';
import { setSetting } from '../app/settings.ts';
import { UsageError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { printable } from '../lib/validate.ts';
import { SETTINGS, type SettingNamespace } from '../state/settings-schema.ts';
import { appOrGlobal } from './common.ts';

/**
 * Dokku's `<namespace>:set <app>|--global <property> [value]`, for a namespace whose properties are
 * settings: one parse, one check of the words, one answer. No value (or an empty one) resets the
 * property to its default.
 */
export async function setProperty(ctx: Context, namespace: SettingNamespace, words: readonly string[], global: boolean | undefined): Promise<void> {
  const usage = `${namespace}:set <app>|--global <property> [value]`;
  const [first, property, value, ...rest] = global ? [undefined, ...words] : words;
  const app = appOrGlobal(first, global);
  if (property === undefined || property === '') throw new UsageError(`Missing property: one of ${Object.keys(SETTINGS[namespace]).sort().join(', ')}`, usage);
  if (rest.length) throw new UsageError(`Unexpected argument: ${printable(rest[0]!)} (one property and one value)`, usage);
  const changed = await setSetting(ctx, app, namespace, property, value === undefined || value === '' ? null : value);
  const scope = app ? ` for ${app}` : ' globally';
  ctx.io.out(step(changed ? `Setting ${property}${value ? ` to ${value}` : ' to its default'}${scope}` : `${namespace} ${property} unchanged${scope}`));
}

/** The usage line of a `:set` command, for its registration. */
export const setUsage = (namespace: string): string => `${namespace}:set <app>|--global <property> [value]`;
