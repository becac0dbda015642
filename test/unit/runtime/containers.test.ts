import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { statusFromSummary, upstreamsFrom } from '../../../src/runtime/containers.ts';
import { dockerOptions } from '../../../src/lib/docker-client.ts';

const summary = (over: Partial<Docker.ContainerInfo> & { labels?: Record<string, string> }): Docker.ContainerInfo => ({
  Id: 'abc',
  Names: ['/shop.web.1'],
  Image: 'i',
  ImageID: 'sha256:i',
  Command: '',
  Created: 0,
  Ports: [],
  State: 'running',
  Status: 'Up',
  HostConfig: { NetworkMode: 'default' },
  NetworkSettings: { Networks: {} },
  Mounts: [],
  ...over,
  Labels: over.labels ?? { 'com.dokku.app': 'shop', 'com.dokku.release': '3', 'com.dokku.process-type': 'web', 'com.dokku.process-index': '1' },
}) as Docker.ContainerInfo;

describe('statusFromSummary', () => {
  it('reads identity from labels and the loopback port from Ports', () => {
    const s = statusFromSummary(summary({ Ports: [{ IP: '127.0.0.1', PrivatePort: 5000, PublicPort: 40001, Type: 'tcp' }] }));
    expect(s).toEqual({ id: 'abc', name: 'shop.web.1', app: 'shop', processType: 'web', index: 1, release: 3, state: 'running', hostPort: 40001, oneOff: false, command: '', created: 0 });
  });

  it('with several EXPOSEd ports, the web-port label says which published port is the web one; the rest go to the upstream by container port', () => {
    const labels = { 'com.dokku.app': 'shop', 'com.dokku.release': '3', 'com.dokku.process-type': 'web', 'com.dokku.process-index': '1', 'com.dokku.web-port': '3000' };
    const Ports = [
      { IP: '127.0.0.1', PrivatePort: 3003, PublicPort: 40011, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 3000, PublicPort: 40001, Type: 'tcp' },
    ];
    const s = statusFromSummary(summary({ labels, Ports }))!;
    expect(s.hostPort).toBe(40001);
    expect(s.extraHostPorts).toEqual({ '3003': 40011 });
    expect(upstreamsFrom([s])).toEqual([{ processType: 'web', containerName: 'shop.web.1', host: '127.0.0.1', port: 40001, ports: { '3003': 40011 } }]);
  });

  it('ignores containers without our labels and marks one-offs', () => {
    expect(statusFromSummary(summary({ labels: {} }))).toBeUndefined();
    const s = statusFromSummary(summary({ labels: { 'com.dokku.app': 'shop', 'com.dokku.release': '3', 'com.dokku.process-type': 'run', 'com.dokku.one-off': 'true' } }));
    expect(s?.oneOff).toBe(true);
    expect(s?.index).toBeUndefined();
  });
});

describe('upstreamsFrom', () => {
  it('lists running web containers with a port, by index, under their final names', () => {
    const base = { app: 'shop', release: 3, oneOff: false, processType: 'web' } as const;
    const ups = upstreamsFrom([
      { ...base, id: '2', name: 'shop.web.2.upcoming-x', index: 2, state: 'running', hostPort: 40002 },
      { ...base, id: '1', name: 'shop.web.1', index: 1, state: 'running', hostPort: 40001 },
      { ...base, id: '3', name: 'shop.web.3', index: 3, state: 'exited', hostPort: undefined },
      { ...base, id: '4', name: 'shop.worker.1', processType: 'worker', index: 1, state: 'running', hostPort: undefined },
    ]);
    expect(ups).toEqual([
      { processType: 'web', containerName: 'shop.web.1', host: '127.0.0.1', port: 40001 },
      { processType: 'web', containerName: 'shop.web.2', host: '127.0.0.1', port: 40002 },
    ]);
  });
});

describe('dockerOptions', () => {
  it('follows DOCKER_HOST conventions', () => {
    expect(dockerOptions(undefined)).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions('unix:///run/user/docker.sock')).toEqual({ socketPath: '/run/user/docker.sock' });
    expect(dockerOptions('tcp://10.0.0.2:2376')).toEqual({ protocol: 'http', host: '10.0.0.2', port: 2376 });
  });
});
