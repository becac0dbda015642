import { UserError } from '../lib/errors.ts';
import type { AppJson, BuildResult, Formation } from '../lib/types.ts';
import { decideConfig, evolveConfig, type ConfigCommand, type ConfigVars } from './deciders.ts';
import type { BuildSource, DomainEvent, ReleaseData, ServiceLinkRef } from './events.ts';
import { linkVar } from '../lib/services/kind.ts';
import { effectiveRunSettings, sameRunSettings, type RunSettings } from '../lib/run-settings.ts';

/**
 * Decisions about builds, releases, deploys and formation for one app stream. Pure: lookups into
 * other releases come through `ReleaseContext`. The state is the projections' (`loadReleaseState`),
 * not a fold of its own: see deciders.ts.
 */

export interface ReleaseState {
  lastBuild: number;
  lastVersion: number;
  /** The release serving traffic. */
  current?: number;
  stopped: boolean;
  locked: boolean;
  formation: Formation;
  config: ConfigVars;
  /** The app's own run settings now (mounts, resources, docker options, networks). */
  run: RunSettings;
  /** The services linked to it now. */
  links: ServiceLinkRef[];
}

export interface ReleaseRecord extends ReleaseData {
  status: 'created' | 'deploying' | 'deployed' | 'failed';
  pruned: boolean;
  actor: string;
  createdAt: string;
}

export interface ReleaseContext {
  release(version: number): ReleaseRecord | undefined;
  globalConfig: ConfigVars;
  globalRun: RunSettings;
  /** A rollback links again only services that still exist. */
  serviceExists(id: string): boolean;
}

/** Heroku's default formation: one web process if there is one, nothing else until scaled. */
export function defaultFormation(processTypes: Record<string, string>, formation: Formation): Formation {
  const out: Formation = {};
  for (const type of Object.keys(processTypes)) {
    if (type === 'release') continue;
    out[type] = formation[type] ?? (type === 'web' ? 1 : 0);
  }
  return out;
}

export type ReleaseCommand =
  | { type: 'build:start'; source: BuildSource; sha?: string }
  | { type: 'build:succeed'; build: number; result: BuildResult }
  | { type: 'build:fail'; build: number; reason: string; cancelled?: boolean }
  | { type: 'release:from-build'; build: number; result: BuildResult; sha?: string }
  | { type: 'release:rollback'; target?: number }
  | { type: 'config:change'; command: ConfigCommand; restart: boolean }
  /** A new release of the current one when its config or run settings changed since it was made (ps:restart, ps:start, a setting's restart). */
  | { type: 'release:run-settings' }
  /** A service's URL goes into the app's config (`vars`) with the link; a deployed app gets a release unless `restart` is false. */
  | { type: 'service:link'; link: ServiceLinkRef; vars: ConfigVars; restart: boolean }
  | { type: 'service:unlink'; serviceId: string; restart: boolean }
  /** `promote`: the service's URL becomes `<kind alias>_URL`; the service that had that alias keeps only its DOKKU_ variable. */
  | { type: 'service:promote'; link: ServiceLinkRef; vars: ConfigVars }
  | { type: 'ps:scale'; formation: Formation }
  | { type: 'ps:stop' }
  | { type: 'ps:start' };

const shortSha = (sha: string | undefined): string | undefined => sha?.slice(0, 7);

export function decideRelease(command: ReleaseCommand, state: ReleaseState, ctx: ReleaseContext): DomainEvent[] {
  switch (command.type) {
    case 'build:start':
      if (state.locked) throw new UserError('App is locked: deploys are disabled until apps:unlock');
      return [
        { type: 'BuildStarted', data: { build: state.lastBuild + 1, source: command.source, ...(command.sha ? { sha: command.sha } : {}) } },
        // The pushed commit becomes the app's GIT_REV config var before the build, as Dokku sets
        // it: config:get shows it, the build sees it, a rollback restores it with the rest.
        ...(command.sha && state.config.GIT_REV !== command.sha ? [{ type: 'ConfigSet' as const, data: { vars: { GIT_REV: command.sha } } }] : []),
      ];
    case 'build:succeed': {
      const r = command.result;
      return [
        {
          type: 'BuildSucceeded',
          data: {
            build: command.build,
            image: r.imageId,
            imageTag: r.imageTag,
            builder: r.builder,
            ...(r.buildpack ? { buildpack: r.buildpack } : {}),
            processTypes: r.processTypes,
            exposedPorts: r.exposedPorts,
            appJson: r.appJson,
            seconds: r.seconds,
          },
        },
      ];
    }
    case 'build:fail':
      return [{ type: 'BuildFailed', data: { build: command.build, reason: command.reason, ...(command.cancelled ? { cancelled: true } : {}) } }];
    case 'release:from-build': {
      const r = command.result;
      const label = shortSha(command.sha) ?? `build ${command.build}`;
      const defaults = appJsonDefaults(r.appJson, { ...ctx.globalConfig, ...state.config });
      const config = { ...state.config, ...defaults };
      const release: ReleaseData = {
        version: state.lastVersion + 1,
        image: r.imageId,
        imageTag: r.imageTag,
        config,
        env: { ...ctx.globalConfig, ...config },
        processTypes: r.processTypes,
        webPort: r.exposedPorts[0] ?? 5000,
        ...(r.exposedPorts.length > 1 ? { exposedPorts: r.exposedPorts } : {}),
        appJson: r.appJson,
        ...(r.nginxTemplate !== undefined ? { nginxTemplate: r.nginxTemplate } : {}),
        description: `Deploy ${label}`,
        build: command.build,
        ...(command.sha ? { sourceSha: command.sha } : {}),
        ...runSettingsOf(state, ctx),
        links: state.links,
      };
      // app.json's defaults are config like any other: recorded, so releases:diff shows them.
      const defaulted: DomainEvent[] = Object.keys(defaults).length ? [{ type: 'ConfigSet', data: { vars: defaults } }] : [];
      return [...defaulted, { type: 'ReleaseCreated', data: release }, ...formationFor(release, state)];
    }
    case 'release:rollback':
      return decideRollback(command.target, state, ctx);
    case 'config:change': {
      const events = decideConfig(command.command, state.config);
      if (events.length === 0 || !command.restart || state.current === undefined) return events;
      const current = ctx.release(state.current);
      if (!current) return events;
      const config = events.reduce(evolveConfig, state.config);
      const what = events
        .map((e) => (e.type === 'ConfigSet' ? `Set ${Object.keys(e.data.vars).join(', ')}` : e.type === 'ConfigUnset' ? `Unset ${e.data.keys.join(', ')}` : ''))
        .join('; ');
      return [...events, { type: 'ReleaseCreated', data: nextRelease(current, state, ctx, config, what) }];
    }
    case 'release:run-settings': {
      if (state.current === undefined) return [];
      const current = ctx.release(state.current);
      if (!current) return [];
      const next = nextRelease(current, state, ctx, state.config, '');
      const runChanged = !(current.run && current.runWith && sameRunSettings(current.run, next.run!) && sameRunSettings(current.runWith, next.runWith!));
      // Config changed with --no-restart (the app's or the global) is what a restart applies too, as in Dokku.
      const configChanged = !sameVars(current.config, next.config) || !sameVars(current.env, next.env);
      if (!runChanged && !configChanged) return [];
      const what = [configChanged ? 'config' : '', runChanged ? 'run settings' : ''].filter(Boolean).join(' and ');
      return [{ type: 'ReleaseCreated', data: { ...next, description: `Apply ${what}` } }];
    }
    case 'service:link':
    case 'service:unlink':
    case 'service:promote':
      return decideLink(command, state, ctx);
    case 'ps:scale': {
      const changed: Formation = {};
      for (const [type, n] of Object.entries(command.formation)) {
        if (!Number.isInteger(n) || n < 0 || n > 100) throw new UserError(`Invalid quantity for ${type}: use a whole number from 0 to 100`);
        if (state.current !== undefined) {
          const current = ctx.release(state.current);
          // As Dokku: app.json's formation is the scale of the types it names; a deploy applies it.
          if (current?.appJson.formation && type in current.appJson.formation) {
            throw new UserError(`${type} is scaled by the formation key in app.json and cannot be scaled by hand: change its quantity there`);
          }
          const types = current?.processTypes ?? {};
          if (!(type in types)) throw new UserError(`Process type ${type} is not in the Procfile (${Object.keys(types).join(', ') || 'none'})`);
        }
        if ((state.formation[type] ?? -1) !== n) changed[type] = n;
      }
      return Object.keys(changed).length ? [{ type: 'Scaled', data: { formation: changed } }] : [];
    }
    case 'ps:stop':
      return state.stopped ? [] : [{ type: 'ProcessesStopped', data: {} }];
    case 'ps:start':
      return state.stopped ? [{ type: 'ProcessesStarted', data: {} }] : [];
  }
}

/** A new version of an existing release with other config (a config change, or a rollback's copy). */
function nextRelease(base: ReleaseData, state: ReleaseState, ctx: ReleaseContext, config: ConfigVars, description: string, links = state.links): ReleaseData {
  const { rollbackOf: _drop, ...rest } = base;
  // A release recorded before GIT_REV was a config var still hands its commit to the app.
  const gitRev: Record<string, string> = rest.sourceSha && !('GIT_REV' in rest.config) ? { GIT_REV: rest.sourceSha } : {};
  return { ...rest, version: state.lastVersion + 1, config, env: { ...ctx.globalConfig, ...gitRev, ...config }, description, ...runSettingsOf(state, ctx), links };
}

const linkName = (l: { kind: string; name: string }): string => `${l.kind} ${l.name}`;

/**
 * Links change the app's config (the service's URL) and its list of links, in one append; a
 * deployed app gets a release with both, like a config change.
 */
function decideLink(command: Extract<ReleaseCommand, { type: 'service:link' | 'service:unlink' | 'service:promote' }>, state: ReleaseState, ctx: ReleaseContext): DomainEvent[] {
  const events: DomainEvent[] = [];
  let links: ServiceLinkRef[];
  let what: string;
  let configCommand: ConfigCommand | undefined;
  if (command.type === 'service:link') {
    const l = command.link;
    if (state.links.some((x) => x.serviceId === l.serviceId)) throw new UserError(`${linkName(l)} is already linked to this app`);
    const taken = Object.keys(command.vars).filter((k) => Object.hasOwn(state.config, k));
    if (taken.length) throw new UserError(`${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} already set on the app: link with --alias NAME, or config:unset it first`);
    events.push({ type: 'ServiceLinked', data: l });
    links = [...state.links, l];
    configCommand = { type: 'config:set', vars: command.vars };
    what = `Link ${linkName(l)}`;
  } else if (command.type === 'service:unlink') {
    const l = state.links.find((x) => x.serviceId === command.serviceId);
    if (!l) throw new UserError('That service is not linked to this app');
    events.push({ type: 'ServiceUnlinked', data: { serviceId: l.serviceId, kind: l.kind, name: l.name } });
    links = state.links.filter((x) => x.serviceId !== l.serviceId);
    const keys = linkVars(l).filter((k) => Object.hasOwn(state.config, k));
    if (keys.length) configCommand = { type: 'config:unset', keys };
    what = `Unlink ${linkName(l)}`;
  } else {
    const l = command.link;
    if (!state.links.some((x) => x.serviceId === l.serviceId)) throw new UserError(`${linkName(l)} is not linked to this app (link it first)`);
    const demoted = state.links.filter((x) => x.serviceId !== l.serviceId && x.alias === l.alias).map((x) => ({ ...x, alias: '' }));
    for (const d of demoted) events.push({ type: 'ServiceLinked', data: d });
    events.push({ type: 'ServiceLinked', data: l });
    links = state.links.map((x) => (x.serviceId === l.serviceId ? l : (demoted.find((d) => d.serviceId === x.serviceId) ?? x)));
    configCommand = { type: 'config:set', vars: command.vars };
    what = `Promote ${linkName(l)}`;
  }
  const configEvents = configCommand ? decideConfig(configCommand, state.config) : [];
  events.push(...configEvents);
  const restart = command.type === 'service:promote' ? true : command.restart;
  if (!restart || state.current === undefined) return events;
  const current = ctx.release(state.current);
  if (!current) return events;
  const config = configEvents.reduce(evolveConfig, state.config);
  return [...events, { type: 'ReleaseCreated', data: nextRelease(current, state, ctx, config, what, links) }];
}

/** The config vars a link set: its alias's and the one every link of that service sets. */
export function linkVars(l: ServiceLinkRef): string[] {
  return l.alias ? [`${l.alias}_URL`, linkVar(l.kind, l.name)] : [linkVar(l.kind, l.name)];
}

const sameVars = (a: ConfigVars, b: ConfigVars): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};

/** The app's run settings now, and what its containers get with the global ones under them. */
function runSettingsOf(state: ReleaseState, ctx: ReleaseContext): { run: RunSettings; runWith: RunSettings } {
  return { run: state.run, runWith: effectiveRunSettings(ctx.globalRun, state.run) };
}

/**
 * New process types get Heroku's default quantity; known ones keep theirs. A type app.json's
 * `formation` names gets that quantity on every deploy, as Dokku applies it (ps:scale refuses them).
 */
function formationFor(release: ReleaseData, state: ReleaseState): DomainEvent[] {
  const wanted = defaultFormation(release.processTypes, state.formation);
  const added: Formation = {};
  for (const [type, n] of Object.entries(wanted)) if (!(type in state.formation)) added[type] = n;
  for (const [type, n] of Object.entries(release.appJson.formation ?? {})) {
    if (type in release.processTypes && state.formation[type] !== n) added[type] = n;
    else if (type in release.processTypes) delete added[type];
  }
  return Object.keys(added).length ? [{ type: 'Scaled', data: { formation: added } }] : [];
}

/**
 * app.json `env`: the defaults for keys the app (or the global config) has no value for; a key
 * marked required with neither a value nor a default refuses the release, naming every such key.
 */
export function appJsonDefaults(appJson: AppJson, merged: ConfigVars): ConfigVars {
  const defaults: ConfigVars = {};
  const missing: string[] = [];
  for (const [key, spec] of Object.entries(appJson.env ?? {})) {
    if (Object.hasOwn(merged, key)) continue;
    if (spec.value !== undefined) defaults[key] = spec.value;
    else if (spec.required) missing.push(key);
  }
  if (missing.length) throw new UserError(`Missing required config vars from app.json: ${missing.join(', ')} (set them with config:set, then deploy again)`);
  return defaults;
}

function decideRollback(target: number | undefined, state: ReleaseState, ctx: ReleaseContext): DomainEvent[] {
  if (state.current === undefined) throw new UserError('App has no deployed release to roll back from');
  let version = target;
  if (version === undefined) {
    for (let v = state.current - 1; v >= 1; v--) {
      if (ctx.release(v)?.status === 'deployed') {
        version = v;
        break;
      }
    }
    if (version === undefined) throw new UserError('No earlier successful release to roll back to');
  }
  const release = ctx.release(version);
  if (!release) throw new UserError(`Release v${version} does not exist (latest is v${state.lastVersion})`);
  if (release.pruned) throw new UserError(`Release v${version} is too old: its image was pruned (see releases:set keep-count)`);
  if (version === state.current) throw new UserError(`v${version} is already the current release`);
  // Restore the app's config to the release's, in the fewest events: unset what it lacked, set the rest.
  const unset = Object.keys(state.config).filter((k) => !(k in release.config));
  const set: ConfigVars = {};
  for (const [k, v] of Object.entries(release.config)) if (state.config[k] !== v) set[k] = v;
  const events: DomainEvent[] = [];
  if (unset.length) events.push({ type: 'ConfigUnset', data: { keys: unset } });
  if (Object.keys(set).length) events.push({ type: 'ConfigSet', data: { vars: set } });
  // The run settings it ran with come back too (mounts, limits, docker options, networks).
  const run = release.run ?? state.run;
  if (!sameRunSettings(run, state.run)) events.push({ type: 'RunSettingsRestored', data: { run } });
  // Links come back as the release had them (the services themselves stay); a service destroyed since is left out.
  const links = (release.links ?? state.links).filter((l) => ctx.serviceExists(l.serviceId));
  for (const l of state.links) if (!links.some((x) => x.serviceId === l.serviceId)) events.push({ type: 'ServiceUnlinked', data: { serviceId: l.serviceId, kind: l.kind, name: l.name } });
  for (const l of links) {
    const now = state.links.find((x) => x.serviceId === l.serviceId);
    if (!now || now.alias !== l.alias) events.push({ type: 'ServiceLinked', data: l });
  }
  const data: ReleaseData = {
    ...nextRelease(release, state, ctx, release.config, `Rollback to v${version}`, links),
    env: release.env,
    run,
    runWith: release.runWith ?? effectiveRunSettings(ctx.globalRun, run),
    rollbackOf: version,
  };
  events.push({ type: 'ReleaseCreated', data });
  return events;
}
