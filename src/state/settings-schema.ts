import { builderProblem } from '../lib/builders.ts';
import { DEFAULT_SCHEDULER, registryServerProblem, schedulerProblem } from '../lib/schedulers.ts';
import { buildpackListProblem } from '../lib/buildpack-ref.ts';
import { CHECK_NUMBERS, checkSettingDefaults } from '../lib/check-settings.ts';
import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';
import { repoPathProblem } from '../lib/repo-path.ts';
import { DEFAULT_LOG_MAX_SIZE, DEFAULT_RESTART_POLICY, DEFAULT_STOP_TIMEOUT, logMaxSizeProblem, MAX_STOP_TIMEOUT, restartPolicyProblem } from '../lib/container-options.ts';
import type { DomainEvent } from './events.ts';
import { PROXY_SETTINGS } from './proxy-settings.ts';

/**
 * Every setting a user can change, with its default and its check. A setting is an event
 * (`SettingSet`) like everything else, so it shows up in the audit log and survives a rebuild.
 * The schema is a `const` object so `SettingNamespace`/`SettingKey` name exactly its entries.
 */
interface SettingSpec {
  default: string;
  /** What a refused value should have been ("a whole number from 0 to 600"), or undefined. */
  check(value: string): string | undefined;
  /** Why a value is refused, as a whole sentence: for rules whose own module words the reason. */
  refuse?(value: string): string | undefined;
  /** Only the global value exists: the key cannot be set for one app. */
  global?: boolean;
}

const wholeNumber = (min: number, max: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `a whole number from ${min} to ${max}`;
const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'true or false');
const imageRef = (v: string) => (/^[a-z0-9][a-z0-9._\/:@-]{0,254}$/i.test(v) ? undefined : 'a Docker image reference');

const checkDefaults = checkSettingDefaults();
/** A numeric check setting: its default and range come from lib/check-settings.ts. */
const checkNumber = (key: string): SettingSpec => {
  const n = CHECK_NUMBERS[key]!;
  return { default: checkDefaults[key]!, check: wholeNumber(n.min, n.max) };
};

export const SETTINGS = {
  builder: { selected: { default: '', check: () => undefined, refuse: (v: string) => (v === '' ? undefined : builderProblem(v)) } },
  buildpacks: {
    list: { default: '[]', check: () => undefined, refuse: buildpackListProblem },
    stack: { default: '', check: (v) => (v === '' ? undefined : imageRef(v)), global: true },
  },
  checks: {
    disabled: { default: checkDefaults.disabled!, check: bool },
    skipped: { default: checkDefaults.skipped!, check: bool },
    wait: checkNumber('wait'),
    timeout: checkNumber('timeout'),
    attempts: checkNumber('attempts'),
    'wait-to-retire': checkNumber('wait-to-retire'),
  },
  // Dokku's default: the newest 20 finished builds keep their output (builds:prune, after each deploy).
  builds: { retention: { default: '20', check: wholeNumber(1, 10000) } },
  releases: { 'keep-count': { default: '10', check: wholeNumber(1, 1000) } },
  ...PROXY_SETTINGS,
  git: { 'deploy-branch': { default: '', check: (v) => (v === '' || isBranchName(v) ? undefined : 'a git branch name') } },
  ps: {
    'restart-policy': { default: DEFAULT_RESTART_POLICY, check: () => undefined, refuse: restartPolicyProblem },
    'stop-timeout-seconds': { default: String(DEFAULT_STOP_TIMEOUT), check: wholeNumber(1, MAX_STOP_TIMEOUT) },
    'procfile-path': { default: 'Procfile', check: () => undefined, refuse: repoPathProblem },
  },
  logs: { 'max-size': { default: DEFAULT_LOG_MAX_SIZE, check: () => undefined, refuse: logMaxSizeProblem } },
  apps: { 'disable-autocreation': { default: 'false', check: bool, global: true } },
  // cron:set: who cron mails a task's output to ('' mails no one), and maintenance (every task of the app suspended).
  cron: {
    mailto: { default: '', check: (v) => (v === '' || /^[^\s@"%']{1,64}@[A-Za-z0-9.-]{1,253}$/.test(v) || /^[a-z_][a-z0-9_-]{0,31}$/.test(v) ? undefined : 'an email address or a local user') },
    maintenance: { default: 'false', check: bool },
  },
  // scheduler:set: where the app's processes run, from its next deploy on.
  scheduler: { selected: { default: DEFAULT_SCHEDULER, check: () => undefined, refuse: schedulerProblem } },
  // registry:set --global server: where swarm apps' images are pushed for every node to pull.
  registry: { server: { default: '', check: (v) => (v === '' ? undefined : registryServerProblem(v)), global: true } },
  'app-json': { 'appjson-path': { default: '', check: () => undefined, refuse: (v: string) => (v === '' ? undefined : repoPathProblem(v)) } },
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
    const refusal = spec.refuse?.(value);
    if (refusal) throw new UserError(refusal);
    const problem = spec.check(value);
    if (problem) throw new UserError(`Invalid value for ${namespace} ${key}: '${printable(value)}' (expected ${problem})`);
  }
  if ((current ?? null) === value) return [];
  return [{ type: 'SettingSet', data: { namespace, key, value } }];
}

export function settingDefault(namespace: string, key: string): string {
  return SPECS[namespace]?.[key]?.default ?? '';
}
