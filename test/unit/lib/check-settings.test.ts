import { describe, expect, it } from 'vitest';
import { CHECK_NUMBERS, checkSettingDefaults, checkSettingsFrom, DEFAULT_CHECK_SETTINGS } from '../../../src/lib/check-settings.ts';
import { decideSetting, SETTINGS, settingDefault } from '../../../src/state/settings-schema.ts';

describe('check settings: one place for their defaults and ranges', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_CHECK_SETTINGS).toEqual({ enabled: true, skip: false, wait: 1, timeout: 5, attempts: 5, waitToRetire: 5 });
    expect(checkSettingDefaults()).toEqual({ disabled: 'false', skipped: 'false', wait: '1', timeout: '5', attempts: '5', 'wait-to-retire': '5' });
  });

  it('the settings schema knows exactly these settings, with these defaults', () => {
    expect(Object.keys(SETTINGS.checks!).sort()).toEqual(Object.keys(checkSettingDefaults()).sort());
    for (const [key, value] of Object.entries(checkSettingDefaults())) expect(settingDefault('checks', key), key).toBe(value);
  });

  it('fills in the defaults for what an app did not set', () => {
    expect(checkSettingsFrom({})).toEqual(DEFAULT_CHECK_SETTINGS);
    expect(checkSettingsFrom({ wait: '0', 'wait-to-retire': '60', disabled: 'true' })).toEqual({ ...DEFAULT_CHECK_SETTINGS, wait: 0, waitToRetire: 60, enabled: false });
    expect(checkSettingsFrom({ skipped: 'true', attempts: '9', timeout: '30' })).toEqual({ ...DEFAULT_CHECK_SETTINGS, skip: true, attempts: 9, timeout: 30 });
  });

  it('does not share its defaults with a caller that changes its copy', () => {
    const mine = checkSettingsFrom({});
    mine.wait = 99;
    expect(checkSettingsFrom({}).wait).toBe(1);
    expect(DEFAULT_CHECK_SETTINGS.wait).toBe(1);
  });

  it.each(Object.entries(CHECK_NUMBERS))('checks:set %s takes its range and refuses outside it', (key, { min, max }) => {
    for (const ok of [min, max]) expect(decideSetting('checks', key, String(ok), undefined, false)).toHaveLength(1);
    for (const bad of [String(max + 1), '-1', '1.5', 'ten', '']) {
      if (bad === '-1' && min > 0) continue;
      expect(() => decideSetting('checks', key, bad, undefined, false), `${key}=${bad}`).toThrow(
        `Invalid value for checks ${key}: '${bad}' (expected a whole number from ${min} to ${max})`,
      );
    }
    if (min > 0) expect(() => decideSetting('checks', key, String(min - 1), undefined, false)).toThrow(`from ${min} to ${max}`);
  });

  it('disabled and skipped are true or false', () => {
    for (const key of ['disabled', 'skipped']) {
      expect(decideSetting('checks', key, 'true', undefined, false)).toHaveLength(1);
      expect(() => decideSetting('checks', key, 'yes', undefined, false)).toThrow(`Invalid value for checks ${key}: 'yes' (expected true or false)`);
    }
  });
});
