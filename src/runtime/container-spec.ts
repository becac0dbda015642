import type { ContainerCreateOptions } from 'dockerode';
import { LABEL } from '../lib/labels.ts';
import type { ReleaseSpec } from '../lib/types.ts';
import { DEFAULT_CONTAINER_OPTIONS, DEFAULT_RESTART_POLICY, logConfig, restartPolicy } from '../lib/container-options.ts';
import { dockerOptionsPart, type DockerCreatePart } from '../lib/docker-options.ts';
import { mountBinds } from '../lib/storage.ts';
import { resourceHostConfig } from '../lib/resources.ts';
import { initialNetworking } from '../lib/networks.ts';

/**
 * What a container of an app looks like, as data: dockerode's create options, computed without
 * touching Docker. The scheduler only executes these.
 *
 * Identity lives in labels, never in names: names are for people (`docker ps`, `enter`), labels are
 * what the scheduler reads back. That lets a new container carry a temporary name while the old one
 * with the final name is still serving. The label names are in lib/labels.ts.
 */

/** Restarts a crashing process a few times, but gives up on one that can never start (Dokku's default). */
export const RESTART_POLICY = restartPolicy(DEFAULT_RESTART_POLICY);

/** The final, human-facing name: `<app>.<proc>.<n>` as in Dokku. */
export function containerName(app: string, processType: string, index: number): string {
  return `${app}.${processType}.${index}`;
}

/**
 * During a zero-downtime deploy the old `<app>.web.1` still serves, so the new one starts as
 * `<app>.web.1.upcoming-<token>` and is renamed once the old one is gone.
 */
export function upcomingName(app: string, processType: string, index: number, token: string): string {
  return `${containerName(app, processType, index)}.upcoming-${token}`;
}

/** Heroku runs Procfile commands through a shell; the text is the app owner's own. */
export function procfileCommand(command: string | undefined): string[] | undefined {
  const text = command?.trim();
  return text ? ['/bin/sh', '-c', text] : undefined;
}

export function releaseVersionEnv(version: number): string {
  return `v${version}`;
}

export interface ContainerSpecOptions {
  /** Name to create the container under; defaults to the final name. */
  name?: string;
  /**
   * Host port for a web container, bound on 127.0.0.1. Picked once by the caller and pinned, because
   * Docker hands out a new ephemeral port on every restart, which would strand nginx's upstream after
   * a crash restart or `ps:start`. Without one Docker picks an ephemeral port.
   */
  hostPort?: number;
  /** Pinned loopback ports for the image's other EXPOSEd ports, by container port (same reason). */
  extraHostPorts?: Record<string, number>;
}

export function isWeb(processType: string): boolean {
  return processType === 'web';
}

const PLATFORM_ENV = new Set(['PORT', 'DYNO', 'DOKKU_APP_NAME', 'DOKKU_RELEASE_VERSION']);

/** release.env first, then what the platform owns (PORT, DYNO, the release), which wins. */
export function containerEnv(release: ReleaseSpec, dyno: string, extra: Record<string, string> = {}, web = false): string[] {
  const platform: Record<string, string> = {
    ...(web ? { PORT: String(release.webPort) } : {}),
    DYNO: dyno,
    DOKKU_APP_NAME: release.app,
    DOKKU_RELEASE_VERSION: releaseVersionEnv(release.version),
  };
  const own = Object.entries({ ...release.env, ...extra }).filter(([key]) => !(key in platform));
  return [...own, ...Object.entries(platform)].map(([key, value]) => `${key}=${value}`);
}

/** A web container's EXPOSEd ports other than the web port: each is published too, so nginx can route it. */
export const extraPorts = (release: Pick<ReleaseSpec, 'webPort' | 'exposedPorts'>): number[] => (release.exposedPorts ?? []).filter((p) => p !== release.webPort);

/** The create options for the `index`th container of `processType` in `release`. */
export function containerSpec(
  release: ReleaseSpec,
  processType: string,
  index: number,
  opts: ContainerSpecOptions = {},
): ContainerCreateOptions {
  const web = isWeb(processType);
  const port = `${release.webPort}/tcp`;
  const extra = web ? extraPorts(release) : [];
  // network:set bind-all-interfaces: the web port answers on every address, not only through nginx.
  const hostIp = release.run?.network['bind-all-interfaces'] ? '0.0.0.0' : '127.0.0.1';
  const bind = (hostPort: number | undefined) => [{ HostIp: hostIp, HostPort: hostPort ? String(hostPort) : '' }];
  const net = initialNetworking(release.app, release.run?.network, processType, index);
  const cmd = procfileCommand(release.processTypes[processType]);
  const options = release.options ?? DEFAULT_CONTAINER_OPTIONS;
  return withDockerOptions(release, 'deploy', processType, {
    name: opts.name ?? containerName(release.app, processType, index),
    Image: release.image,
    ...(cmd ? { Cmd: cmd } : {}),
    Env: containerEnv(release, `${processType}.${index}`, {}, web),
    Labels: {
      [LABEL.app]: release.app,
      [LABEL.release]: String(release.version),
      [LABEL.processType]: processType,
      [LABEL.processIndex]: String(index),
      ...(web ? { [LABEL.webPort]: String(release.webPort) } : {}),
    },
    ...(web ? { ExposedPorts: Object.fromEntries([port, ...extra.map((p) => `${p}/tcp`)].map((p) => [p, {}])) } : {}),
    StopTimeout: options.stopTimeout,
    NetworkingConfig: { EndpointsConfig: net.EndpointsConfig },
    HostConfig: {
      RestartPolicy: restartPolicy(options.restartPolicy),
      LogConfig: logConfig(options.logMaxSize),
      ...mountsOf(release),
      ...(release.run ? resourceHostConfig(release.run, processType) : {}),
      NetworkMode: net.NetworkMode,
      // A tiny init as PID 1: `sh -c` forwards no signals, so without it a stop waits out its timeout.
      Init: true,
      ...(web ? { PortBindings: { [port]: bind(opts.hostPort), ...Object.fromEntries(extra.map((p) => [`${p}/tcp`, bind(opts.extraHostPorts?.[String(p)])])) } } : {}),
    },
  });
}

/** `storage:mount`s, for process containers and one-offs alike (not builds, as in Dokku). */
const mountsOf = (release: ReleaseSpec): { Binds?: string[] } => (release.run?.mounts.length ? { Binds: mountBinds(release.run.mounts) } : {});

/**
 * The release's docker options for the phase (`docker-options:add`), over dokku's own: their env
 * after the release's, their labels beside dokku's (which they may not name), their host settings
 * over the defaults. Ports, restart policy, logging and init stay dokku's: the table has no flag for them.
 */
export function withDockerOptions(release: ReleaseSpec, phase: 'deploy' | 'run', pluginKey: string, spec: ContainerCreateOptions): ContainerCreateOptions {
  const fromPlugins = release.pluginOptions?.[pluginKey];
  const options = [...(release.run?.dockerOptions[phase] ?? []), ...(fromPlugins ? [fromPlugins] : [])];
  if (options.length === 0) return spec;
  const part: DockerCreatePart = dockerOptionsPart(options, phase);
  const { Env, Labels, HostConfig, ...rest } = part;
  const keyOf = (kv: string) => kv.slice(0, kv.indexOf('='));
  // An option's -e replaces the config var of its name; what the platform sets per container stays.
  const own = Env.filter((kv) => !PLATFORM_ENV.has(keyOf(kv)));
  const replaced = new Set(own.map(keyOf));
  return {
    ...spec,
    ...rest,
    Env: [...(spec.Env ?? []).filter((kv) => !replaced.has(keyOf(kv))), ...own],
    Labels: { ...Labels, ...(spec.Labels ?? {}) },
    HostConfig: {
      ...(spec.HostConfig ?? {}),
      ...HostConfig,
      // An option's -v adds to the storage mounts; it does not replace them.
      ...(HostConfig.Binds ? { Binds: [...(spec.HostConfig?.Binds ?? []), ...HostConfig.Binds] } : {}),
    },
  };
}

export interface OneOffSpecOptions {
  /** Label and DYNO name: `run` for `dokku run`, `release` for the Procfile release phase. */
  processType: string;
  /** Exec form, passed to Docker as is (no shell); empty means the image's CMD. */
  command: string[];
  /** Unique per one-off: becomes `<app>.<processType>.<id>` and `DYNO=<processType>.<id>`. */
  id: string;
  tty?: boolean;
  interactive?: boolean;
  env?: Record<string, string>;
  /** Started in the background (`run:detached`): nobody attaches, and Docker removes it when it exits. */
  detached?: boolean;
}

/** A one-off container from a release: same image and environment, no restarts, no published port. */
export function oneOffSpec(release: ReleaseSpec, opts: OneOffSpecOptions): ContainerCreateOptions {
  const detached = opts.detached ?? false;
  const interactive = !detached && (opts.interactive ?? false);
  const net = initialNetworking(release.app, release.run?.network, opts.processType, undefined);
  // The release phase runs as a deployed process does; `run` and cron one-offs take the run phase.
  return withDockerOptions(release, opts.processType === 'release' ? 'deploy' : 'run', opts.processType === 'release' ? 'release' : 'run', {
    name: `${release.app}.${opts.processType}.${opts.id}`,
    Image: release.image,
    ...(opts.command.length > 0 ? { Cmd: [...opts.command] } : {}),
    Env: containerEnv(release, `${opts.processType}.${opts.id}`, opts.env ?? {}),
    Labels: {
      [LABEL.app]: release.app,
      [LABEL.release]: String(release.version),
      [LABEL.processType]: opts.processType,
      [LABEL.oneOff]: 'true',
    },
    Tty: opts.tty ?? false,
    OpenStdin: interactive,
    StdinOnce: interactive,
    AttachStdin: interactive,
    AttachStdout: !detached,
    AttachStderr: !detached,
    StopTimeout: (release.options ?? DEFAULT_CONTAINER_OPTIONS).stopTimeout,
    HostConfig: {
      Init: true,
      LogConfig: logConfig((release.options ?? DEFAULT_CONTAINER_OPTIONS).logMaxSize),
      ...mountsOf(release),
      // One-offs are limited as Dokku's `run` is: by the `_default_` values (and a `run` type's own).
      ...(release.run ? resourceHostConfig(release.run, opts.processType) : {}),
      // One-offs run on the app's network too: `run` reaches what the app reaches, and no other app.
      NetworkMode: net.NetworkMode,
      ...(detached ? { AutoRemove: true } : {}),
    },
  });
}
