/**
 * What an app's containers run with beyond image and environment: mounts, resource limits and
 * reservations, docker options per phase and network attachments. One document per app (and one
 * global), changed only by events (state/run-settings.ts folds them), recorded on every release:
 * `releases:diff` shows a changed mount or limit, and a rollback restores the document it ran with.
 * Pure data and rules; no Docker, no state.
 */

/** Docker-options phases, as Dokku names them. */
export const DOCKER_PHASES = ['build', 'deploy', 'run'] as const;
export type DockerPhase = (typeof DOCKER_PHASES)[number];

/** Resource keys, as Dokku's `resource:limit` flags name them. */
export const RESOURCE_KEYS = ['cpu', 'memory', 'memory-swap', 'pids', 'nvidia-gpu'] as const;
export type ResourceKey = (typeof RESOURCE_KEYS)[number];
export type ResourceValues = Partial<Record<ResourceKey, string>>;

/** The process type a value without `--process-type` applies to (every type without its own). */
export const DEFAULT_PROCESS_TYPE = '_default_';

/** One bind mount: a host directory (or a named entry's directory) at a path in the container. */
export interface Mount {
  host: string;
  container: string;
  /** Docker's mount options after the second colon (`ro`, `rw`, `z`, …), as typed. */
  options?: string;
  /** The named storage entry the host path is, when it was mounted by name. */
  entry?: string;
}

/** `network:set` properties, in Dokku's names. */
export interface NetworkSettings {
  'attach-post-create': string[];
  'attach-post-deploy': string[];
  'initial-network': string;
  'bind-all-interfaces': boolean;
  tld: string;
  'static-web-listener': string;
}

export interface RunSettings {
  /** In the order they were added. */
  mounts: Mount[];
  /** By process type, or `_default_`. */
  limits: Record<string, ResourceValues>;
  reservations: Record<string, ResourceValues>;
  /** Each entry is one `docker-options:add` option as typed, e.g. `--build-arg A=1` or `-v /x:/y`. */
  dockerOptions: Record<DockerPhase, string[]>;
  network: NetworkSettings;
}

export const EMPTY_NETWORK_SETTINGS: NetworkSettings = {
  'attach-post-create': [],
  'attach-post-deploy': [],
  'initial-network': '',
  'bind-all-interfaces': false,
  tld: '',
  'static-web-listener': '',
};

export function emptyRunSettings(): RunSettings {
  return {
    mounts: [],
    limits: {},
    reservations: {},
    dockerOptions: { build: [], deploy: [], run: [] },
    network: { ...EMPTY_NETWORK_SETTINGS, 'attach-post-create': [], 'attach-post-deploy': [] },
  };
}

/** A stored document read back, filling what an older one lacked. */
export function normalizeRunSettings(doc: Partial<RunSettings> | undefined): RunSettings {
  const empty = emptyRunSettings();
  if (!doc) return empty;
  return {
    mounts: doc.mounts ?? empty.mounts,
    limits: doc.limits ?? empty.limits,
    reservations: doc.reservations ?? empty.reservations,
    dockerOptions: { ...empty.dockerOptions, ...(doc.dockerOptions ?? {}) },
    network: { ...empty.network, ...(doc.network ?? {}) },
  };
}

/** Key order does not matter: two documents are the same when their canonical JSON is. */
export function canonicalRunSettings(doc: RunSettings): string {
  return JSON.stringify(sortKeys(normalizeRunSettings(doc)));
}

export function sameRunSettings(a: RunSettings, b: RunSettings): boolean {
  return canonicalRunSettings(a) === canonicalRunSettings(b);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * What the containers get: the app's document over the global one. Mounts and docker options are
 * the app's own (Dokku has no global ones); resources fall back per key to `--global`'s; a network
 * property the app leaves empty takes the global value.
 */
export function effectiveRunSettings(global: RunSettings, own: RunSettings): RunSettings {
  const mergeResources = (g: Record<string, ResourceValues>, o: Record<string, ResourceValues>) => {
    const out: Record<string, ResourceValues> = {};
    for (const type of new Set([...Object.keys(g), ...Object.keys(o)])) out[type] = { ...(g[type] ?? {}), ...(o[type] ?? {}) };
    return out;
  };
  const network = { ...own.network };
  for (const key of Object.keys(EMPTY_NETWORK_SETTINGS) as (keyof NetworkSettings)[]) {
    const value = own.network[key];
    const unset = Array.isArray(value) ? value.length === 0 : value === '' || value === false;
    if (unset) (network as Record<string, unknown>)[key] = global.network[key];
  }
  return {
    mounts: own.mounts,
    limits: mergeResources(global.limits, own.limits),
    reservations: mergeResources(global.reservations, own.reservations),
    dockerOptions: own.dockerOptions,
    network,
  };
}

/** The resource values for one process type: its own over `_default_`'s. */
export function resourcesFor(values: Record<string, ResourceValues>, processType: string): ResourceValues {
  return { ...(values[DEFAULT_PROCESS_TYPE] ?? {}), ...(values[processType] ?? {}) };
}
