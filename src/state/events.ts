import type { AppJson, Formation, ProcessTypes, Upstream } from '../lib/types.ts';
import type { DockerPhase, Mount, NetworkSettings, ResourceValues, RunSettings } from '../lib/run-settings.ts';

export type BuildSource = 'archive' | 'image' | 'git' | 'rebuild';

/** A release: image + the config it runs with + process types. Rollbacks copy one. */
export interface ReleaseData {
  version: number;
  image: string;
  imageTag: string;
  /** The app's own vars at this release. */
  config: Record<string, string>;
  /** What the containers get: global merged with the app's. */
  env: Record<string, string>;
  processTypes: ProcessTypes;
  webPort: number;
  /** Every tcp port the image EXPOSEs, when more than one (the first is the web port). */
  exposedPorts?: number[];
  appJson: AppJson;
  /** The app's own nginx template from its source (nginx.conf.sigil), as pushed. */
  nginxTemplate?: string;
  description: string;
  sourceSha?: string;
  build?: number;
  rollbackOf?: number;
  /** The app's own run settings at this release (mounts, resources, docker options, networks): what a rollback restores. */
  run?: RunSettings;
  /** What the containers ran with: the global run settings merged with the app's. */
  runWith?: RunSettings;
  /** The services linked to the app at this release: `releases:diff` shows a link, a rollback restores them. */
  links?: ServiceLinkRef[];
}

/** One link of a service to an app: its URL is in the app's config as `<alias>_URL` (and `DOKKU_<KIND>_<NAME>_URL`). */
export interface ServiceLinkRef {
  serviceId: string;
  kind: string;
  name: string;
  /** '' when only the `DOKKU_…_URL` variable carries it (after another service was promoted). */
  alias: string;
}

/** A certificate as the log records it: what it says, never the key (that stays in a 0600 file). */
export interface PluginInstallData {
  name: string;
  source: string;
  kind: 'git' | 'directory' | 'tarball';
  committish?: string;
  commit?: string;
  version: string;
  description: string;
}

export interface CertInfo {
  source: 'manual' | 'self-signed' | 'letsencrypt';
  subject: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  /** sha256 of the DER certificate, hex. */
  fingerprint: string;
  serial: string;
}

/** The event catalogue: every fact the log can hold, with its payload. */
export type DomainEvent =
  | { type: 'AppCreated'; data: { name: string } }
  | { type: 'AppRenamed'; data: { from: string; to: string } }
  | { type: 'AppDestroyed'; data: { name: string } }
  | { type: 'AppLocked'; data: Record<string, never> }
  | { type: 'AppUnlocked'; data: Record<string, never> }
  | { type: 'ConfigSet'; data: { vars: Record<string, string> } }
  | { type: 'ConfigUnset'; data: { keys: string[] } }
  | { type: 'BuildStarted'; data: { build: number; source: BuildSource; sha?: string } }
  | {
      type: 'BuildSucceeded';
      data: {
        build: number;
        image: string;
        imageTag: string;
        builder: string;
        buildpack?: string;
        processTypes: ProcessTypes;
        exposedPorts: number[];
        appJson: AppJson;
        seconds: number;
      };
    }
  | { type: 'BuildFailed'; data: { build: number; reason: string; cancelled?: boolean } }
  | { type: 'ReleaseCreated'; data: ReleaseData }
  | { type: 'DeployStarted'; data: { version: number } }
  | { type: 'TrafficSwitched'; data: { version: number; upstreams: Upstream[] } }
  | { type: 'DeploySucceeded'; data: { version: number; containers: string[] } }
  | { type: 'DeployFailed'; data: { version: number; reason: string; container?: string; output?: string[] } }
  | { type: 'Scaled'; data: { formation: Formation } }
  | { type: 'ProcessesStopped'; data: Record<string, never> }
  | { type: 'ProcessesStarted'; data: Record<string, never> }
  | { type: 'ReleaseImagesPruned'; data: { versions: number[] } }
  | { type: 'SettingSet'; data: { namespace: string; key: string; value: string | null } }
  | { type: 'DomainAdded'; data: { domain: string } }
  | { type: 'DomainRemoved'; data: { domain: string } }
  | { type: 'PortsSet'; data: { ports: string[] } }
  | { type: 'CertAdded'; data: CertInfo }
  | { type: 'CertRemoved'; data: { reason?: string } }
  | { type: 'SshKeyAdded'; data: { name: string; fingerprint: string; keyType: string; publicKey: string; admin: boolean } }
  | { type: 'SshKeyRemoved'; data: { name: string; fingerprint: string } }
  | { type: 'AccessGranted'; data: { key: string; app: string; appId: string } }
  | { type: 'AccessRevoked'; data: { key: string; app: string; appId: string } }
  /** The domain suffixes a non-admin key may add names under (`acl:set KEY domains …`); [] clears. */
  | { type: 'KeyDomainsSet'; data: { key: string; domains: string[] } }
  /** `git:allow-host`: known_hosts lines dokku now trusts for git:sync. */
  | { type: 'GitHostAllowed'; data: { host: string; port?: number; keys: string[] } }
  /** `git:generate-deploy-key`: only the public half; the private key stays in $DOKKU_ROOT/.ssh. */
  | { type: 'DeployKeyGenerated'; data: { publicKey: string } }
  /** Run settings (lib/run-settings.ts), app stream or global; folded by state/run-settings.ts. */
  | { type: 'StorageMounted'; data: { mount: Mount } }
  | { type: 'StorageUnmounted'; data: { mount: Mount } }
  | { type: 'ResourceSet'; data: { kind: 'limit' | 'reserve'; processType: string; values: ResourceValues } }
  /** Without a process type: every type's values of that kind go. */
  | { type: 'ResourceCleared'; data: { kind: 'limit' | 'reserve'; processType?: string } }
  | { type: 'DockerOptionAdded'; data: { phases: DockerPhase[]; option: string } }
  | { type: 'DockerOptionRemoved'; data: { phases: DockerPhase[]; option: string } }
  | { type: 'DockerOptionsCleared'; data: { phases: DockerPhase[] } }
  | { type: 'NetworkPropertySet'; data: { key: keyof NetworkSettings; value: string | string[] | boolean } }
  /** `network:create` / `network:destroy` (global stream): the networks apps may be attached to. */
  | { type: 'NetworkCreated'; data: { name: string } }
  | { type: 'NetworkDestroyed'; data: { name: string } }
  /** `storage:create` / `storage:destroy` (global stream): a named host directory, and the app it is for. */
  | { type: 'StorageEntryCreated'; data: { name: string; path: string; appId?: string; chown: string } }
  | { type: 'StorageEntryDestroyed'; data: { name: string } }
  /** `cron:suspend` / `cron:resume` of one task, or without an id every task of the app. */
  | { type: 'CronSuspended'; data: { id?: string } }
  | { type: 'CronResumed'; data: { id?: string } }
  /** A cron task's run (by the host's cron daemon or `cron:run`): its one-off container, then how it ended. */
  | { type: 'CronRunStarted'; data: { id: string; detached?: boolean; container?: string } }
  | { type: 'CronRunFinished'; data: { id: string; exitCode: number; seconds: number } }
  /** A rollback puts back the run settings the release it copies ran with. */
  | { type: 'RunSettingsRestored'; data: { run: RunSettings } }
  /** A built-in service (stream `service/<id>`); the password stays in the log as config values do, masked in audit output. */
  | { type: 'ServiceCreated'; data: { kind: string; name: string; image: string; password: string; memory?: string; shmSize?: string; clonedFrom?: string } }
  | { type: 'ServiceDestroyed'; data: { kind: string; name: string; dataRemoved: boolean } }
  | { type: 'ServiceStopped'; data: Record<string, never> }
  | { type: 'ServiceStarted'; data: Record<string, never> }
  | { type: 'ServiceRestarted'; data: Record<string, never> }
  | { type: 'ServiceExposed'; data: { ports: number[] } }
  | { type: 'ServiceUnexposed'; data: Record<string, never> }
  | { type: 'ServiceUpgraded'; data: { from: string; image: string } }
  /** A dump went in (`import`, `clone`) or out (`export`, `backup`): what, how big, its sha256. */
  | { type: 'ServiceImported'; data: { bytes: number; sha256: string } }
  | { type: 'ServiceExported'; data: { bytes: number; sha256: string; file?: string } }
  | { type: 'ServiceBackupScheduled'; data: { schedule: string; keep: number } }
  | { type: 'ServiceBackupUnscheduled'; data: Record<string, never> }
  /** On the app's stream, with the ConfigSet of its URL in the same append (a second link of the same service updates the alias). */
  | { type: 'ServiceLinked'; data: ServiceLinkRef }
  | { type: 'ServiceUnlinked'; data: { serviceId: string; kind: string; name: string } }
  /** `acl:add-service TYPE NAME KEY` (access stream). */
  | { type: 'ServiceAccessGranted'; data: { key: string; kind: string; name: string; serviceId: string } }
  | { type: 'ServiceAccessRevoked'; data: { key: string; kind: string; name: string; serviceId: string } }
  /** `backup:export` (global stream): the archive written and the head of the log it holds. */
  | { type: 'PlatformExported'; data: { bytes: number; sha256: string; head: { position: number; hash: string }; files: number; file?: string } }
  /** `backup:import` (global stream): the first event after the imported log's head; `replaced` is where a replaced database was moved. */
  | { type: 'PlatformImported'; data: { bytes: number; sha256: string; head: { position: number; hash: string }; exportedAt: string; dokkuVersion: string; apps: number; services: number; replaced?: string } }
  /** `plugin:install` (stream `plugin/<name>`): where it came from and what was checked out; installed means enabled. */
  | { type: 'PluginInstalled'; data: PluginInstallData }
  | { type: 'PluginUpdated'; data: PluginInstallData & { fromCommit?: string; fromVersion: string } }
  | { type: 'PluginEnabled'; data: { name: string } }
  | { type: 'PluginDisabled'; data: { name: string } }
  | { type: 'PluginUninstalled'; data: { name: string } }
  /** `plugin:property-set PLUGIN APP|--global KEY VALUE` (the plugin's stream); no appId: global. */
  | { type: 'PluginPropertySet'; data: { plugin: string; appId?: string; key: string; value: string } }
  | { type: 'PluginPropertyUnset'; data: { plugin: string; appId?: string; key: string } }
  /** A swarm app's release image, pushed to the registry (app stream): the digest every node pulls. */
  | { type: 'ReleaseImagePushed'; data: { version: number; image: string; reference: string } }
  /** `swarm:init` (global stream): this engine became the swarm's manager, with its own registry or none. */
  | { type: 'SwarmInitialized'; data: { nodeId: string; advertiseAddr: string; registry?: string } }
  /** `swarm:drain` / `swarm:activate` (global stream): a node's tasks moved away, or it takes tasks again. */
  | { type: 'SwarmNodeDrained'; data: { nodeId: string; addr: string } }
  | { type: 'SwarmNodeActivated'; data: { nodeId: string; addr: string } }
  /** `registry:login` / `registry:logout` (global stream); the password is masked in audit output. */
  | { type: 'RegistryLoggedIn'; data: { server: string; username: string; password: string } }
  | { type: 'RegistryLoggedOut'; data: { server: string } }
  | { type: 'AccessDenied'; data: { key: string; fingerprint: string; command: string; app?: string; reason: string } };

export type EventType = DomainEvent['type'];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** Where and when an event was appended, and by whom: what the log adds to a domain event. */
export interface EventMeta {
  position: number;
  stream: string;
  version: number;
  actor: string;
  at: string;
  hash: string;
}

/** A logged event: still a union on `type`, so a `switch (e.type)` narrows `data`. */
export type StoredEvent<E extends DomainEvent = DomainEvent> = E & EventMeta;

/** The first event of one type among `events`, typed as that event. */
export function firstOf<T extends EventType>(events: readonly StoredEvent[], type: T): StoredEvent<EventOf<T>> | undefined {
  return events.find((e): e is StoredEvent<EventOf<T>> => e.type === type);
}

export const GLOBAL_STREAM = 'global';
/** SSH keys, per-app grants and refused calls: one stream, so a grant never outlives its key. */
export const ACCESS_STREAM = 'access';
export const appStream = (id: string): string => `app/${id}`;
export const appIdOf = (stream: string): string | undefined =>
  stream.startsWith('app/') ? stream.slice(4) : undefined;
export const pluginStream = (name: string): string => `plugin/${name}`;
export const serviceStream = (id: string): string => `service/${id}`;
export const serviceIdOf = (stream: string): string | undefined => (stream.startsWith('service/') ? stream.slice(8) : undefined);
