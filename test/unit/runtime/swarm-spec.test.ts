import { describe, expect, it } from 'vitest';
import { serviceName, serviceSpec, swarmProblem, taskRestartPolicy } from '../../../src/runtime/swarm-spec.ts';
import { LABEL } from '../../../src/lib/labels.ts';
import { nodeAddress, servingService, serviceFrom, taskFrom, taskStatus, taskUpstreams } from '../../../src/runtime/swarm-tasks.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

const release: ReleaseSpec = {
  app: 'shop',
  version: 7,
  image: '10.0.0.1:5000/dokku/shop@sha256:abc',
  env: { GREETING: 'hi', PORT: '1' },
  processTypes: { web: 'node server.js', worker: 'node worker.js' },
  webPort: 5000,
  exposedPorts: [5000, 9090],
  healthchecks: {},
  options: { restartPolicy: 'on-failure:10', stopTimeout: 30, logMaxSize: '10m' },
};

describe('serviceSpec', () => {
  it('runs a web type as a replicated service publishing its ports in host mode, without a VIP', () => {
    const spec = serviceSpec(release, 'web', { replicas: 3, token: 'a1b2c3' });
    expect(spec.Name).toBe('shop-web-a1b2c3');
    expect(spec.Labels).toMatchObject({ 'com.dokku.app': 'shop', 'com.dokku.release': '7', 'com.dokku.process-type': 'web', 'com.dokku.replicas': '3', 'com.dokku.web-port': '5000' });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [
        { Protocol: 'tcp', TargetPort: 5000, PublishMode: 'host' },
        { Protocol: 'tcp', TargetPort: 9090, PublishMode: 'host' },
      ],
    });
    const task = spec.TaskTemplate as { ContainerSpec: Record<string, unknown>; RestartPolicy: unknown; LogDriver: unknown };
    expect(task.ContainerSpec.Image).toBe(release.image);
    expect(task.ContainerSpec.Command).toEqual(['/bin/sh', '-c', 'node server.js']);
    // The platform's PORT wins over the app's; the slot names the dyno.
    expect(task.ContainerSpec.Env).toEqual(['GREETING=hi', 'PORT=5000', 'DYNO=web.{{.Task.Slot}}', 'DOKKU_APP_NAME=shop', 'DOKKU_RELEASE_VERSION=v7']);
    // Task containers never carry com.dokku.app: docker-local reads that label off containers.
    expect(task.ContainerSpec.Labels).toEqual({ [LABEL.swarmApp]: 'shop' });
    expect(task.ContainerSpec.StopGracePeriod).toBe(30e9);
    expect(task.RestartPolicy).toEqual({ Condition: 'on-failure', MaxAttempts: 10 });
    expect(task.LogDriver).toEqual({ Name: 'json-file', Options: { 'max-size': '10m' } });
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', Parallelism: 1, FailureAction: 'rollback' });
    expect(spec.RollbackConfig).toMatchObject({ Order: 'start-first' });
  });

  it('publishes nothing for a worker and maps resources to Swarm limits and reservations', () => {
    const run = { ...emptyRunSettings(), limits: { worker: { cpu: '0.5', memory: '256' } }, reservations: { _default_: { memory: '64' } } };
    const spec = serviceSpec({ ...release, run }, 'worker', { replicas: 1, token: 'ffffff' });
    expect(spec.EndpointSpec?.Ports).toEqual([]);
    expect((spec.TaskTemplate as { Resources: unknown }).Resources).toEqual({
      Limits: { NanoCPUs: 5e8, MemoryBytes: 256 * 1024 ** 2 },
      Reservations: { MemoryBytes: 64 * 1024 ** 2 },
    });
  });

  it('refuses what cannot follow a task to another node, with one line naming it', () => {
    const mounts = { ...emptyRunSettings(), mounts: [{ host: '/var/lib/shop', container: '/data' }] };
    expect(swarmProblem({ ...release, run: mounts })).toMatch(/^storage:mount is a host path \(\/var\/lib\/shop\)/);
    expect(() => serviceSpec({ ...release, run: mounts }, 'web', { replicas: 1, token: 'x' })).toThrow(/host path/);
    const opts = { ...emptyRunSettings(), dockerOptions: { build: [], deploy: ['--cap-add NET_ADMIN'], run: [] } };
    expect(swarmProblem({ ...release, run: opts })).toMatch(/^docker-options for deploy are not applied/);
    expect(swarmProblem({ ...release, run: emptyRunSettings() })).toBeUndefined();
  });

  it('keeps service names within a DNS label and maps restart policies', () => {
    expect(serviceName('a'.repeat(63), 'web', 'abcdef').length).toBeLessThanOrEqual(63);
    expect(taskRestartPolicy('no')).toEqual({ Condition: 'none' });
    expect(taskRestartPolicy('always')).toEqual({ Condition: 'any' });
    expect(taskRestartPolicy('on-failure')).toEqual({ Condition: 'on-failure' });
  });
});

describe('reading services and tasks back', () => {
  const rawService = (id: string, created: string) => ({
    ID: id,
    CreatedAt: created,
    Version: { Index: 12 },
    Spec: { Name: `shop-web-${id}`, Labels: { 'com.dokku.app': 'shop', 'com.dokku.release': '7', 'com.dokku.process-type': 'web', 'com.dokku.replicas': '2', 'com.dokku.web-port': '5000' }, Mode: { Replicated: { Replicas: 2 } } },
  });
  const rawTask = (id: string, service: string, slot: number, node: string, state: string, port?: number) => ({
    ID: id,
    ServiceID: service,
    Slot: slot,
    NodeID: node,
    DesiredState: 'running',
    CreatedAt: '2026-12-03T10:00:00Z',
    Status: { State: state, ContainerStatus: { ContainerID: `c-${id}`, ExitCode: 0 }, ...(port ? { PortStatus: { Ports: [{ TargetPort: 5000, PublishedPort: port }] } } : {}) },
  });

  it('turns running web tasks into upstreams at node address and published port, in slot order', () => {
    const s = serviceFrom(rawService('s1', '2026-12-03T10:00:00Z'))!;
    expect(s).toMatchObject({ app: 'shop', processType: 'web', release: 7, replicas: 2, wanted: 2, webPort: 5000, version: 12 });
    const tasks = [rawTask('t2', 's1', 2, 'n2', 'running', 30002), rawTask('t1', 's1', 1, 'n1', 'running', 30001), rawTask('t3', 's1', 3, 'n3', 'preparing')].map(taskFrom);
    const addr = (n: string) => ({ n1: '10.0.0.11', n2: '10.0.0.12', n3: '10.0.0.13' })[n] ?? '';
    expect(taskUpstreams(s, tasks, addr)).toEqual([
      { processType: 'web', containerName: 'shop.web.1', host: '10.0.0.11', port: 30001 },
      { processType: 'web', containerName: 'shop.web.2', host: '10.0.0.12', port: 30002 },
    ]);
    expect(taskStatus(tasks[2]!, s, addr('n3'))).toMatchObject({ name: 'shop.web.3', state: 'created', hostPort: undefined, host: '10.0.0.13', index: 3 });
  });

  it('takes the IPv4 port of a task an engine with IPv6 published twice', () => {
    const raw = rawTask('t1', 's1', 1, 'n1', 'running', 32850);
    raw.Status.PortStatus!.Ports.push({ TargetPort: 5000, PublishedPort: 32849 });
    expect(taskFrom(raw).ports).toEqual({ '5000': 32850 });
  });

  it('serves from the newest web service and reads a manager address from its manager status', () => {
    const older = serviceFrom(rawService('old', '2026-12-03T09:00:00Z'))!;
    const newer = serviceFrom(rawService('new', '2026-12-03T10:00:00Z'))!;
    expect(servingService([newer, older])?.id).toBe('new');
    expect(servingService([older, newer])?.id).toBe('new');
    expect(nodeAddress({ Status: { Addr: '0.0.0.0' }, ManagerStatus: { Addr: '10.0.0.1:2377' } })).toBe('10.0.0.1');
    expect(nodeAddress({ Status: { Addr: '10.0.0.12' } })).toBe('10.0.0.12');
  });
});
