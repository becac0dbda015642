import type { CheckSettings } from './types.ts';

/**
 * The zero-downtime check settings, in one place: their defaults, the names `checks:set` and the
 * settings schema know them by, and their ranges. The settings schema, `checks:report` and the
 * deploy all read them from here.
 */

/** Dokku's defaults, except that `wait` is 1 s and old containers are retired after 5 s, not 60. */
export const DEFAULT_CHECK_SETTINGS: Readonly<CheckSettings> = Object.freeze({
  enabled: true,
  skip: false,
  wait: 1,
  timeout: 5,
  attempts: 5,
  waitToRetire: 5,
});

type NumberField = 'wait' | 'timeout' | 'attempts' | 'waitToRetire';

/** The numeric settings by their stored name (seconds, except `attempts`), with their ranges. */
export const CHECK_NUMBERS: Readonly<Record<string, { field: NumberField; min: number; max: number }>> = {
  wait: { field: 'wait', min: 0, max: 600 },
  timeout: { field: 'timeout', min: 1, max: 600 },
  attempts: { field: 'attempts', min: 1, max: 100 },
  'wait-to-retire': { field: 'waitToRetire', min: 0, max: 3600 },
};

/** Each stored setting's default, as the settings table keeps it (text). */
export function checkSettingDefaults(): Record<string, string> {
  const numbers = Object.entries(CHECK_NUMBERS).map(([key, n]) => [key, String(DEFAULT_CHECK_SETTINGS[n.field])]);
  return { disabled: String(!DEFAULT_CHECK_SETTINGS.enabled), skipped: String(DEFAULT_CHECK_SETTINGS.skip), ...Object.fromEntries(numbers) };
}

/** An app's stored check settings (only those it set), with the defaults filled in. */
export function checkSettingsFrom(values: Readonly<Record<string, string>>): CheckSettings {
  const settings: CheckSettings = { ...DEFAULT_CHECK_SETTINGS };
  if (values.disabled !== undefined) settings.enabled = values.disabled !== 'true';
  if (values.skipped !== undefined) settings.skip = values.skipped === 'true';
  for (const [key, n] of Object.entries(CHECK_NUMBERS)) {
    const text = values[key];
    if (text !== undefined && /^\d+$/.test(text)) settings[n.field] = Number(text);
  }
  return settings;
}
