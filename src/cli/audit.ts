import type { StoredEvent } from '../state/events.ts';
import type { Mount, RunSettings } from '../lib/run-settings.ts';

/**
 * How an event reads in the audit log. Config values never leave through here: only their keys.
 */
export function summarize(e: StoredEvent): string {
  // Destructured together, so each case narrows `d` to its event's payload.
  const { type, data: d } = e;
  switch (type) {
    case 'AppCreated':
      return `Created ${d.name}`;
    case 'AppRenamed':
      return `Renamed ${d.from} to ${d.to}`;
    case 'AppDestroyed':
      return `Destroyed ${d.name}`;
    case 'AppLocked':
      return 'Locked';
    case 'AppUnlocked':
      return 'Unlocked';
    case 'ConfigSet':
      return `Set ${Object.keys(d.vars).join(', ')}`;
    case 'ConfigUnset':
      return `Unset ${d.keys.join(', ')}`;
    case 'BuildStarted':
      return `Build ${d.build} started from ${d.source}${d.sha ? ` ${String(d.sha).slice(0, 7)}` : ''}`;
    case 'BuildSucceeded':
      return `Build ${d.build} succeeded (${d.builder}${d.buildpack ? `, ${d.buildpack}` : ''}, ${Number(d.seconds).toFixed(1)}s)`;
    case 'BuildFailed':
      return `Build ${d.build} ${d.cancelled ? 'cancelled' : 'failed'}: ${d.reason}`;
    case 'ReleaseCreated':
      return `Release v${d.version}: ${d.description}`;
    case 'DeployStarted':
      return `Deploying v${d.version}`;
    case 'TrafficSwitched':
      return `Traffic to v${d.version} (${d.upstreams.length} upstreams)`;
    case 'DeploySucceeded':
      return `Deployed v${d.version}`;
    case 'DeployFailed':
      return `Deploy of v${d.version} failed: ${String(d.reason).split('\n')[0]}`;
    case 'Scaled':
      return `Scaled ${Object.entries(d.formation).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'ProcessesStopped':
      return 'Stopped';
    case 'ProcessesStarted':
      return 'Started';
    case 'ReleaseImagesPruned':
      return `Pruned images of ${d.versions.map((v) => `v${v}`).join(', ')}`;
    case 'SettingSet':
      return d.value === null ? `Reset ${d.namespace} ${d.key}` : `Set ${d.namespace} ${d.key} to ${d.value}`;
    case 'DomainAdded':
      return `Added domain ${d.domain}`;
    case 'DomainRemoved':
      return `Removed domain ${d.domain}`;
    case 'PortsSet':
      return d.ports.length ? `Set ports ${d.ports.join(' ')}` : 'Reset ports to the default';
    case 'CertAdded':
      return `Added ${d.source} certificate for ${d.names.join(', ')} (expires ${String(d.notAfter).slice(0, 10)})`;
    case 'CertRemoved':
      return `Removed certificate${d.reason ? ` (${d.reason})` : ''}`;
    case 'SshKeyAdded':
      return `Added ${d.admin ? 'admin ' : ''}SSH key ${d.name} (${d.fingerprint})`;
    case 'SshKeyRemoved':
      return `Removed SSH key ${d.name} (${d.fingerprint})`;
    case 'AccessGranted':
      return `Gave key ${d.key} access to ${d.app}`;
    case 'AccessRevoked':
      return `Took access to ${d.app} from key ${d.key}`;
    case 'KeyDomainsSet':
      return d.domains.length ? `Let key ${d.key} add domains under ${d.domains.join(', ')}` : `Took the domain grant of key ${d.key} away`;
    case 'GitHostAllowed':
      return `Trusted ${d.keys.length} ssh host key${d.keys.length === 1 ? '' : 's'} of ${d.host}${d.port ? `:${d.port}` : ''} for git:sync`;
    case 'DeployKeyGenerated':
      return `Generated the deploy key ${d.publicKey.split(' ').slice(0, 2).join(' ').slice(0, 40)}…`;
    case 'StorageMounted':
      return `Mounted ${mountText(d.mount)}`;
    case 'StorageUnmounted':
      return `Unmounted ${mountText(d.mount)}`;
    case 'ResourceSet':
      return `Set ${d.kind === 'limit' ? 'limits' : 'reservations'} of ${d.processType}: ${Object.entries(d.values).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'ResourceCleared':
      return `Cleared ${d.kind === 'limit' ? 'limits' : 'reservations'}${d.processType ? ` of ${d.processType}` : ''}`;
    case 'DockerOptionAdded':
      return `Added docker option ${maskDockerOption(d.option)} (${d.phases.join(',')})`;
    case 'DockerOptionRemoved':
      return `Removed docker option ${maskDockerOption(d.option)} (${d.phases.join(',')})`;
    case 'DockerOptionsCleared':
      return `Cleared docker options (${d.phases.join(',')})`;
    case 'NetworkPropertySet':
      return `Set network ${d.key} to ${Array.isArray(d.value) ? d.value.join(' ') : String(d.value)}`;
    case 'RunSettingsRestored':
      return 'Restored run settings';
    case 'ServiceCreated':
      return `Created ${d.kind} service ${d.name} (${d.image})${d.clonedFrom ? ' as a clone' : ''}`;
    case 'ServiceDestroyed':
      return `Destroyed ${d.kind} service ${d.name}${d.dataRemoved ? ' and its data' : ' (data kept)'}`;
    case 'ServiceStopped':
      return 'Stopped the service';
    case 'ServiceStarted':
      return 'Started the service';
    case 'ServiceRestarted':
      return 'Restarted the service';
    case 'ServiceExposed':
      return `Exposed the service on port ${d.ports.join(', ')}`;
    case 'ServiceUnexposed':
      return 'Unexposed the service';
    case 'ServiceUpgraded':
      return `Upgraded the service from ${d.from} to ${d.image}`;
    case 'ServiceImported':
      return `Imported a dump (${d.bytes} bytes, sha256 ${d.sha256.slice(0, 12)})`;
    case 'ServiceExported':
      return `${d.file ? `Backed up to ${d.file}` : 'Exported a dump'} (${d.bytes} bytes, sha256 ${d.sha256.slice(0, 12)})`;
    case 'ServiceBackupScheduled':
      return `Scheduled backups: ${d.schedule}, keeping ${d.keep}`;
    case 'ServiceBackupUnscheduled':
      return 'Unscheduled backups';
    case 'ServiceLinked':
      return `Linked ${d.kind} service ${d.name}${d.alias ? ` as ${d.alias}` : ''}`;
    case 'ServiceUnlinked':
      return `Unlinked ${d.kind} service ${d.name}`;
    case 'ServiceAccessGranted':
      return `Granted key ${d.key} ${d.kind} service ${d.name}`;
    case 'ServiceAccessRevoked':
      return `Revoked key ${d.key}'s access to ${d.kind} service ${d.name}`;
    case 'PlatformExported':
      return `Exported the platform${d.file ? ` to ${d.file}` : ''} (${d.bytes} bytes, sha256 ${d.sha256.slice(0, 12)}, head ${d.head.position})`;
    case 'PlatformImported':
      return `Imported the platform from a backup of ${d.exportedAt} (head ${d.head.position}, sha256 ${d.sha256.slice(0, 12)})`;
    case 'PluginInstalled':
      return `Installed plugin ${d.name} ${d.version} from ${withoutCredentials(d.source)}${d.commit ? ` at ${d.commit.slice(0, 12)}` : ''}`;
    case 'PluginUpdated':
      return `Updated plugin ${d.name} from ${d.fromCommit ? d.fromCommit.slice(0, 12) : d.fromVersion} to ${d.commit ? d.commit.slice(0, 12) : d.version}`;
    case 'PluginEnabled':
      return `Enabled plugin ${d.name}`;
    case 'PluginDisabled':
      return `Disabled plugin ${d.name}`;
    case 'PluginUninstalled':
      return `Uninstalled plugin ${d.name}`;
    case 'PluginPropertySet':
      return `Set ${d.plugin} property ${d.key}${d.appId ? '' : ' (global)'}`;
    case 'PluginPropertyUnset':
      return `Unset ${d.plugin} property ${d.key}${d.appId ? '' : ' (global)'}`;
    case 'ReleaseImagePushed':
      return `Pushed v${d.version} image as ${d.reference}`;
    case 'SwarmInitialized':
      return `Initialized the swarm on ${d.advertiseAddr}${d.registry ? ` with the registry ${d.registry}` : ''}`;
    case 'SwarmNodeDrained':
      return `Drained swarm node ${d.nodeId.slice(0, 12)} (${d.addr})`;
    case 'SwarmNodeActivated':
      return `Activated swarm node ${d.nodeId.slice(0, 12)} (${d.addr})`;
    case 'RegistryLoggedIn':
      return `Logged in to ${d.server} as ${d.username}`;
    case 'RegistryLoggedOut':
      return `Logged out of ${d.server}`;
    case 'AccessDenied':
      return `Refused ${d.command}${d.app ? ` on ${d.app}` : ''} for key ${d.key}: ${d.reason}`;
    default:
      // A type this binary does not know (written by a newer version) reads as its name.
      return type;
  }
}

/** The payload as the audit log may show it: secrets reduced to their keys. */
export function maskedData(e: StoredEvent): unknown {
  if (e.type === 'ConfigSet') return { keys: Object.keys(e.data.vars) };
  if (e.type === 'ReleaseCreated') {
    // A release carries a full config snapshot: show which keys it had, never their values.
    const { config, env, run, runWith, ...rest } = e.data;
    return {
      ...rest,
      config: Object.keys(config ?? {}),
      env: Object.keys(env ?? {}),
      ...(run ? { run: maskRun(run) } : {}),
      ...(runWith ? { runWith: maskRun(runWith) } : {}),
    };
  }
  if (e.type === 'DockerOptionAdded' || e.type === 'DockerOptionRemoved') return { ...e.data, option: maskDockerOption(e.data.option) };
  if (e.type === 'RunSettingsRestored') return { run: maskRun(e.data.run) };
  // A plugin property may be a secret (an auth password): its key only, as config.
  if (e.type === 'PluginPropertySet') return { ...e.data, value: '********' };
  if (e.type === 'PluginInstalled' || e.type === 'PluginUpdated') return { ...e.data, source: withoutCredentials(e.data.source) };
  // A service's password is a secret like a config value.
  if (e.type === 'ServiceCreated') return { ...e.data, password: '********' };
  if (e.type === 'RegistryLoggedIn') return { ...e.data, password: '********' };
  return e.data;
}

const mountText = (m: Mount) => `${m.host}:${m.container}${m.options ? `:${m.options}` : ''}`;

/**
 * Docker options can carry secrets as config does (`-e TOKEN=…`, `--build-arg TOKEN=…`): the
 * audit log keeps the key and drops the value.
 */
export function maskDockerOption(option: string): string {
  return option.replace(/((?:^|\s)(?:-e|--env|--build-arg)(?:\s+|=)['"]?[A-Za-z_][A-Za-z0-9_.-]*)=\S*/g, '$1=***');
}

function maskRun(run: RunSettings): RunSettings {
  const d = run.dockerOptions;
  return { ...run, dockerOptions: { build: d.build.map(maskDockerOption), deploy: d.deploy.map(maskDockerOption), run: d.run.map(maskDockerOption) } };
}

/** A source URL as the audit shows it: `https://user:token@host/…` loses its user part. */
function withoutCredentials(source: string): string {
  return source.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
