import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { LABEL } from '../lib/labels.ts';
import { DEFAULT_CONTAINER_OPTIONS } from '../lib/container-options.ts';
import { resourceHostConfig } from '../lib/resources.ts';
import type { ReleaseSpec } from '../lib/types.ts';
import { containerEnv, extraPorts, isWeb, procfileCommand } from './container-spec.ts';

/**
 * What a swarm app's process type looks like as a Swarm service, as data: one service per process
 * type per deploy, so a release starts beside the one serving (as docker-local's containers do),
 * is checked, gets the traffic, and the old service goes. Pure.
 *
 * Identity lives in the service's labels. The task containers carry only `LABEL.swarmApp`, so
 * docker-local, which reads `com.dokku.app` off containers, never mistakes a task for its own.
 */

/** `<app>-<type>-<token>`, cut to stay a DNS label (63 characters) as Swarm wants service names. */
export function serviceName(app: string, processType: string, token: string): string {
  return `${app}-${processType}`.slice(0, 55).replace(/-+$/, '') + `-${token}`;
}

/** Why a release cannot run on the swarm as it is, or undefined: host paths and host-bound options stay on one host. */
export function swarmProblem(release: ReleaseSpec): string | undefined {
  const run = release.run;
  if (run?.mounts.length) {
    return `storage:mount is a host path (${run.mounts[0]!.host}): a swarm task may run on any node, so ${release.app} cannot use it; unmount it or keep the app on docker-local`;
  }
  if (run?.dockerOptions.deploy.length) return `docker-options for deploy are not applied to swarm services (${release.app} has ${run.dockerOptions.deploy.length}); remove them or keep the app on docker-local`;
  const net = run?.network;
  if (net && (net['attach-post-create'].length || net['attach-post-deploy'].length || net['initial-network'])) {
    return `network:set networks are host bridge networks: ${release.app} cannot attach them on the swarm; unset them or keep the app on docker-local`;
  }
  return undefined;
}

/** Docker's restart policy names in Swarm's words: a task that stops is replaced by a new one. */
export function taskRestartPolicy(policy: string): Docker.TaskRestartPolicy {
  const m = /^on-failure(?::(\d+))?$/.exec(policy);
  if (m) return { Condition: 'on-failure', ...(m[1] !== undefined && Number(m[1]) > 0 ? { MaxAttempts: Number(m[1]) } : {}) };
  return { Condition: policy === 'no' ? 'none' : 'any' };
}

export interface ServiceSpecOptions {
  replicas: number;
  /** Unique per deploy: names the service. */
  token: string;
}

/**
 * The service for `processType` of `release`. Web tasks publish the web port (and any other EXPOSEd
 * port) in host mode without a fixed number, so each task gets a port of its node's own and the
 * new tasks of a deploy never collide with the old ones; nginx routes to node address and port.
 * Endpoint mode dnsrr: no virtual IP, so nothing asks for IPVS, which hosts often lack.
 */
export function serviceSpec(release: ReleaseSpec, processType: string, opts: ServiceSpecOptions): Docker.CreateServiceOptions {
  const problem = swarmProblem(release);
  if (problem) throw new UserError(problem);
  const web = isWeb(processType);
  const options = release.options ?? DEFAULT_CONTAINER_OPTIONS;
  const cmd = procfileCommand(release.processTypes[processType]);
  const resources = release.run ? resourceHostConfig(release.run, processType) : {};
  const ports = web ? [release.webPort, ...extraPorts(release)] : [];
  return {
    Name: serviceName(release.app, processType, opts.token),
    Labels: {
      [LABEL.app]: release.app,
      [LABEL.release]: String(release.version),
      [LABEL.processType]: processType,
      [LABEL.replicas]: String(opts.replicas),
      ...(web ? { [LABEL.webPort]: String(release.webPort) } : {}),
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: release.image,
        ...(cmd ? { Command: cmd } : {}),
        // Swarm fills in the slot: web.1, web.2… as on docker-local.
        Env: containerEnv(release, `${processType}.{{.Task.Slot}}`, {}, web),
        Labels: { [LABEL.swarmApp]: release.app },
        Init: true,
        StopGracePeriod: options.stopTimeout * 1e9,
      },
      Resources: {
        Limits: {
          ...(resources.NanoCpus ? { NanoCPUs: resources.NanoCpus } : {}),
          ...(resources.Memory ? { MemoryBytes: resources.Memory } : {}),
          ...(resources.PidsLimit ? { Pids: resources.PidsLimit } : {}),
        },
        Reservations: {
          ...(resources.CpuShares ? { NanoCPUs: Math.round((resources.CpuShares / 1024) * 1e9) } : {}),
          ...(resources.MemoryReservation ? { MemoryBytes: resources.MemoryReservation } : {}),
        },
      } as Docker.ResourceRequirements,
      RestartPolicy: taskRestartPolicy(options.restartPolicy),
      LogDriver: { Name: 'json-file', Options: options.logMaxSize === 'unlimited' ? {} : { 'max-size': options.logMaxSize } },
    },
    Mode: { Replicated: { Replicas: opts.replicas } },
    // For the service's own changes (a scale, `docker service update`): a new task first, the old one after.
    UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 5e9 },
    RollbackConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'pause', Monitor: 5e9 },
    EndpointSpec: { Mode: 'dnsrr', Ports: ports.map((p) => ({ Protocol: 'tcp' as const, TargetPort: p, PublishMode: 'host' as const })) },
  };
}
