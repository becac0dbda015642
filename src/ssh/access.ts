/**
 * Who may run what, as pure values. A call over SSH comes from a key; an admin key may run
 * everything, any other key only commands on the apps it was given (`acl:add`), and never the
 * admin commands. Anything this module cannot tie to one app is an admin command: a new command
 * is refused to non-admin keys until it says which app it acts on.
 */
import { checkDockerOption, parsePhases } from '../lib/docker-options.ts';
import { isServiceKind } from '../lib/services/index.ts';

export type Caller = { kind: 'local' } | { kind: 'key'; name: string; fingerprint: string };

/** The forced command of each key sets FINGERPRINT (and NAME); a local user has neither. */
export function callerFrom(env: NodeJS.ProcessEnv): Caller {
  const fingerprint = env.FINGERPRINT;
  if (fingerprint === undefined || fingerprint === '') return { kind: 'local' };
  return { kind: 'key', name: env.NAME || '(unnamed)', fingerprint };
}

export interface Call {
  /** The command's name as registered: `config:set`. */
  command: string;
  /** Its declared positional arguments, in order. */
  declared: Array<{ value: string; variadic: boolean }>;
  /** Whether the command takes `--global`. */
  takesGlobal: boolean;
  /** The positional words as parsed. */
  args: readonly string[];
  /** `--global` was given (to any command). */
  global: boolean;
  /** The words a command takes untouched after its leading arguments (`run`'s program, a docker option). */
  rest?: readonly string[];
  /** The parsed options (`--app`), for the commands whose access depends on one. */
  options?: Readonly<Record<string, unknown>>;
}

export type Requirement =
  | { kind: 'open' }
  | { kind: 'admin'; reason: string }
  | { kind: 'app'; app: string }
  /** A service the key must have been given (`acl:add-service`), and for a link also the app. */
  | { kind: 'service'; serviceKind: string; service: string; app?: string };

/** Harmless for anyone: help, the version, and the list of the key's own apps. */
const OPEN = new Set(['help', 'version', 'apps:list']);

/** With no app named, these show a key only its own apps (`ctx.visibleApps`): `events`. */
const OWN_APPS_WITHOUT_APP = new Set(['events']);

/**
 * Tied to one app, but still for admins: they make, unmake or rename apps, or (domains:disable)
 * take a host port of the server for it, which tenants may not (they map only 80 and 443).
 */
const ADMIN_COMMANDS = new Set(['apps:create', 'apps:clone', 'apps:destroy', 'apps:rename', 'apps:set', 'domains:disable']);

/** Whole namespaces that manage the host rather than an app. */
const ADMIN_NAMESPACES = new Set(['ssh-keys', 'acl', 'stack', 'state', 'backup', 'swarm', 'registry']);

/** Properties whose value is a path on the server: admin keys only, except `off` or a reset. */
const SERVER_PATH_PROPERTIES: Readonly<Record<string, readonly string[]>> = { 'nginx:set': ['access-log-path', 'error-log-path'] };

/**
 * Words that reach past the app's container even on the tenant's own app: a docker option that mounts
 * a host path, shares a host namespace, adds a device… (the flag table in lib/docker-options.ts).
 * A word the command itself will refuse (an unknown flag) is left to the command's own error.
 */
const ESCAPES: Readonly<Record<string, (args: readonly string[], rest: readonly string[]) => string | undefined>> = {
  'docker-options:add': ([, phases, ...words], rest) => {
    const option = [...words, ...rest].join(' ');
    if (phases === undefined || option === '') return undefined;
    try {
      return checkDockerOption(option, parsePhases(phases), true).escapes;
    } catch {
      return undefined;
    }
  },
};

/**
 * Not tied to one app by their arguments, but by an option: `storage:create NAME --app APP` (no
 * path) makes an entry under the storage root for that app, which its keys may then mount.
 */
const APP_OPTION: Readonly<Record<string, (call: Call) => string | undefined>> = {
  'storage:create': (call) => (call.args.length === 1 && typeof call.options?.app === 'string' && call.options.app !== '' ? call.options.app : undefined),
};

/**
 * What a key given a service may do with it. Everything else of a service namespace is for admins:
 * making and removing services, choosing images, publishing host ports, writing the crontab.
 */
const SERVICE_TENANT_COMMANDS = new Set(['info', 'exists', 'link', 'unlink', 'linked', 'links', 'promote', 'connect', 'enter', 'logs', 'start', 'stop', 'restart', 'export', 'import', 'backup', 'backup-schedule-cat']);
/** Of those, the ones whose second argument is an app the key must also hold. */
const SERVICE_APP_SECOND = new Set(['link', 'unlink', 'linked', 'promote']);

function serviceRequirement(call: Call, namespace: string): Requirement {
  const sub = call.command.slice(namespace.length + 1);
  if (sub === 'app-links') return call.args[0] ? { kind: 'app', app: call.args[0] } : { kind: 'admin', reason: 'not tied to one app' };
  const [service, second] = call.args;
  if (!SERVICE_TENANT_COMMANDS.has(sub) || !service || call.global) return { kind: 'admin', reason: 'an admin command' };
  if (SERVICE_APP_SECOND.has(sub)) return second ? { kind: 'service', serviceKind: namespace, service, app: second } : { kind: 'admin', reason: 'not tied to one app' };
  return { kind: 'service', serviceKind: namespace, service };
}

/**
 * A plugin's own command: a tenant's only when the plugin's plugin.toml says which argument is the
 * app (`"maintenance:on" = { app = 1 }`), and then for that app.
 */
export function pluginCommandRequirement(args: readonly string[], appArg: number | undefined): Requirement {
  const app = appArg === undefined ? undefined : args[appArg - 1];
  if (app === undefined || app === '' || app.startsWith('-')) return { kind: 'admin', reason: 'a plugin command its plugin.toml does not tie to an app' };
  return { kind: 'app', app };
}

/** `plugin:property-*` of an app are the app's (plugins must read them as they read config); the rest of `plugin:` is for admins. */
const PLUGIN_APP_PROPERTIES = new Set(['plugin:property-set', 'plugin:property-unset', 'plugin:property-get', 'plugin:property-list']);

export function requirementOf(call: Call): Requirement {
  const namespace = call.command.split(':')[0]!;
  if (OPEN.has(call.command)) return { kind: 'open' };
  if (namespace === 'plugin') {
    const app = call.args[1];
    if (PLUGIN_APP_PROPERTIES.has(call.command) && !call.global && app !== undefined && app !== '') return { kind: 'app', app };
    return { kind: 'admin', reason: 'an admin command' };
  }
  if (isServiceKind(namespace)) return serviceRequirement(call, namespace);
  const escape = Object.hasOwn(ESCAPES, call.command) ? ESCAPES[call.command]!(call.args, call.rest ?? []) : undefined;
  if (escape) return { kind: 'admin', reason: escape };
  const byOption = Object.hasOwn(APP_OPTION, call.command) ? APP_OPTION[call.command]!(call) : undefined;
  if (byOption !== undefined && !call.global) return { kind: 'app', app: byOption };
  const paths = Object.hasOwn(SERVER_PATH_PROPERTIES, call.command) ? SERVER_PATH_PROPERTIES[call.command]! : [];
  const [, property, value] = call.global ? ['', ...call.args] : call.args;
  if (property !== undefined && paths.includes(property) && value !== undefined && value !== '' && value !== 'off') {
    return { kind: 'admin', reason: 'a path on the server' };
  }
  if (ADMIN_NAMESPACES.has(namespace) || ADMIN_COMMANDS.has(call.command)) return { kind: 'admin', reason: 'an admin command' };
  if (call.global) return { kind: 'admin', reason: 'a --global change' };
  const first = call.declared[0];
  const word = call.args[0];
  if (first && word !== undefined && word !== '') {
    // `<app> …`, or the `<app>|--global` convention of commands taking `[...args]` and --global.
    if (first.value === 'app' || (first.variadic && call.takesGlobal)) return { kind: 'app', app: word };
  }
  if (OWN_APPS_WITHOUT_APP.has(call.command) && (word === undefined || word === '')) return { kind: 'open' };
  return { kind: 'admin', reason: 'not tied to one app' };
}

export interface KeyAccess {
  name: string;
  admin: boolean;
}

export type Verdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The decision for one call. `hasGrant` answers whether the key was given the (existing) app;
 * an app that does not exist is not the key's.
 */
export function judge(
  key: KeyAccess | undefined,
  command: string,
  req: Requirement,
  hasGrant: (app: string) => boolean,
  hasServiceGrant: (kind: string, service: string) => boolean = () => false,
): Verdict {
  if (!key) return { allowed: false, reason: 'this key is no longer registered' };
  if (key.admin || req.kind === 'open') return { allowed: true };
  if (req.kind === 'admin') return { allowed: false, reason: `${command} is ${req.reason}, for admin keys only` };
  if (req.kind === 'service') {
    if (!hasServiceGrant(req.serviceKind, req.service)) return { allowed: false, reason: `no access to ${req.serviceKind} service ${req.service}` };
    if (req.app !== undefined && !hasGrant(req.app)) return { allowed: false, reason: `no access to app ${req.app}` };
    return { allowed: true };
  }
  return hasGrant(req.app) ? { allowed: true } : { allowed: false, reason: `no access to app ${req.app}` };
}

/** The line a refused caller reads. */
export function denialMessage(keyName: string, verdict: Extract<Verdict, { allowed: false }>): string {
  return `Access denied for key ${keyName}: ${verdict.reason}`;
}
