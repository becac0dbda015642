import { UserError } from '../lib/errors.ts';
import type { CheckSettings } from '../lib/types.ts';
import { printable } from '../lib/validate.ts';
import type { DomainEvent } from './events.ts';
import { PROXY_SETTINGS } from './proxy-settings.ts';

/**
 * Every setting a user can change, with its default and its check. A setting is an event
 * (`SettingSet`) like everything else, so it shows up in the audit log and survives a rebuild.
 * The schema is a `const` object so `SettingNamespace`/`SettingKey` name exactly its entries.
 */
interface SettingSpec {
  default: string;
  check(value: string): string | undefined;
  /** Only the global value exists: the key cannot be set for one app. */
  global?: boolean;
}

const wholeNumber = (min: number, max: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `a whole number from ${min} to ${max}`;
const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'true or false');
const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? undefined : values.join(', '));
const imageRef = (v: string) => (/^[a-z0-9][a-z0-9._\/:@-]{0,254}$/i.test(v) ? undefined : 'a Docker image reference');

export const SETTINGS = {
  builder: { selected: { default: '', check: (v) => (v === '' ? undefined : oneOf('herokuish', 'dockerfile', 'null')(v)) } },
  buildpacks: {
    list: { default: '[]', check: () => undefined },
    stack: { default: '', check: (v) => (v === '' ? undefined : imageRef(v)), global: true },
  },
  checks: {
    disabled: { default: 'false', check: bool },
    skipped: { default: 'false', check: bool },
    wait: { default: '1', check: wholeNumber(0, 600) },
    timeout: { default: '5', check: wholeNumber(1, 600) },
    attempts: { default: '5', check: wholeNumber(1, 100) },
    'wait-to-retire': { default: '5', check: wholeNumber(0, 3600) },
  },
  releases: { 'keep-count': { default: '10', check: wholeNumber(1, 1000) } },
  ...PROXY_SETTINGS,
  git: { 'deploy-branch': { default: '', check: (v) => (v === '' || isBranchName(v) ? undefined : 'a git branch name') } },
  apps: { 'disable-autocreation': { default: 'false', check: bool, global: true } },
} satisfies Record<string, Record<string, SettingSpec>>;

export type SettingNamespace = keyof typeof SETTINGS;
export type SettingKey<N extends SettingNamespace> = keyof (typeof SETTINGS)[N] & string;
/** Reads one setting of some scope, by names the type system checks against the schema. */
export type SettingReader = <N extends SettingNamespace>(namespace: N, key: SettingKey<N>) => string;

/** The schema looked up by words a user typed, which may name nothing. */
const SPECS: Readonly<Record<string, Readonly<Record<string, SettingSpec>> | undefined>> = SETTINGS;

/** Own keys only: a word like `constructor` names no setting. */
const hasKey = <N extends SettingNamespace>(namespace: N | string, key: string): key is SettingKey<N> => Object.hasOwn(SPECS[namespace] ?? {}, key);

function unknownKey(namespace: string, key: string): UserError {
  const known = Object.keys(SPECS[namespace] ?? {}).join(', ');
  return new UserError(`Unknown ${namespace} property '${printable(key)}'${known ? `: use one of ${known}` : ''}`);
}

/** A key the user named, checked against the namespace's schema. */
export function settingKey<N extends SettingNamespace>(namespace: N, key: string): SettingKey<N> {
  if (!hasKey(namespace, key)) throw unknownKey(namespace, key);
  return key;
}

/** What `git check-ref-format --branch` accepts, in the common alphabet (no spaces, ~, ^, :, ?, *, [). */
export function isBranchName(v: string): boolean {
  return (
    /^[A-Za-z0-9._\/-]{1,200}$/.test(v) &&
    !/^[-/.]|\/\.|\.\.|\/\/|@\{|[/.]$|\.lock$|\.lock\//.test(v) &&
    v !== '@'
  );
}

export function decideSetting(namespace: string, key: string, value: string | null, current: string | undefined, isGlobal: boolean): DomainEvent[] {
  if (!hasKey(namespace, key)) throw unknownKey(namespace, key);
  const spec = SPECS[namespace]![key]!;
  if (spec.global && !isGlobal) throw new UserError(`${namespace} ${key} can only be set with --global`);
  if (value !== null) {
    const problem = spec.check(value);
    if (problem) throw new UserError(`Invalid value for ${namespace} ${key}: '${printable(value)}' (expected ${problem})`);
  }
  if ((current ?? null) === value) return [];
  return [{ type: 'SettingSet', data: { namespace, key, value } }];
}

export function settingDefault(namespace: string, key: string): string {
  return SPECS[namespace]?.[key]?.default ?? '';
}

export function checkSettingsFrom(values: Record<string, string>, fallback: (key: string) => string = (k) => settingDefault('checks', k)): CheckSettings {
  const get = (k: string) => values[k] ?? fallback(k);
  return {
    enabled: get('disabled') !== 'true',
    skip: get('skipped') === 'true',
    wait: Number(get('wait')),
    timeout: Number(get('timeout')),
    attempts: Number(get('attempts')),
    waitToRetire: Number(get('wait-to-retire')),
  };
}
