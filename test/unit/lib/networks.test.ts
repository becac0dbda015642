import { describe, expect, it } from 'vitest';
import { appNetworkName, containerAliases, initialNetworking, networkNameProblem, tldProblem } from '../../../src/lib/networks.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';
import { containerSpec, oneOffSpec } from '../../../src/runtime/container-spec.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

describe('network rules', () => {
  it('keeps Docker and app network names for themselves', () => {
    expect(networkNameProblem('shared-db')).toBeUndefined();
    for (const n of ['host', 'bridge', 'none', 'dokku.app.web', 'container:x', '-x', 'a/b', '']) expect(networkNameProblem(n), n).toBeDefined();
    expect(tldProblem('svc.cluster.local')).toBeUndefined();
    expect(tldProblem('Bad_TLD')).toMatch(/Invalid tld/);
  });

  it("gives Dokku's aliases, with the tld", () => {
    expect(containerAliases('web', 'worker', 2, '')).toEqual(['web.worker', 'web.worker.2']);
    expect(containerAliases('web', 'web', 1, 'svc')).toEqual(['web.web.svc', 'web.web.1.svc']);
    expect(initialNetworking('web', undefined, 'web', 1)).toEqual({ NetworkMode: 'dokku.app.web', EndpointsConfig: { 'dokku.app.web': { Aliases: ['web.web', 'web.web.1'] } } });
  });

  it('starts every container of the app on its own network, or its initial network', () => {
    const release = (network = emptyRunSettings().network): ReleaseSpec => ({
      app: 'web', version: 1, image: 'img', env: {}, processTypes: { web: 'x' }, webPort: 5000, healthchecks: {}, run: { ...emptyRunSettings(), network },
    });
    expect(containerSpec(release(), 'web', 1).HostConfig!.NetworkMode).toBe(appNetworkName('web'));
    expect(oneOffSpec(release(), { processType: 'run', command: ['sh'], id: '1' }).HostConfig!.NetworkMode).toBe(appNetworkName('web'));
    const shared = { ...emptyRunSettings().network, 'initial-network': 'shared', 'bind-all-interfaces': true };
    const spec = containerSpec(release(shared), 'web', 1, { hostPort: 40000 });
    expect(spec.HostConfig!.NetworkMode).toBe('shared');
    expect(spec.HostConfig!.PortBindings).toEqual({ '5000/tcp': [{ HostIp: '0.0.0.0', HostPort: '40000' }] });
  });
});
