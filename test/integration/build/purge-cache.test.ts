import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheVolumeName } from '../../../src/builder/buildpacks.ts';
import { bindCli, makeRoot, removeRoots, requireDist, TARGETS } from '../../helpers/cli.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';

const docker = await connectDocker();
const app = uniqueName('purge');
const neighbour = uniqueName('purge-other');

/** repo:purge-cache removes the app's buildpack cache volume, and no other app's. */
describe('repo:purge-cache', () => {
  beforeAll(requireDist);
  afterAll(async () => {
    for (const a of [app, neighbour]) await docker!.getVolume(cacheVolumeName(a)).remove().catch(() => undefined);
    removeRoots();
  });

  it("empties the app's build cache and leaves another app's", async () => {
    const dokku = bindCli(TARGETS[0]!, makeRoot());
    dokku.ok('apps:create', app);
    for (const a of [app, neighbour]) await docker!.createVolume({ Name: cacheVolumeName(a) });
    expect(dokku.ok('repo:purge-cache', app)).toBe(`-----> Purged the build cache of ${app}\n`);
    const names = async () => ((await docker!.listVolumes()).Volumes ?? []).map((v) => v.Name);
    expect(await names()).not.toContain(cacheVolumeName(app));
    expect(await names()).toContain(cacheVolumeName(neighbour));
    // Nothing left to purge is not an error.
    expect(dokku.ok('repo:purge-cache', app)).toBe(`-----> Purged the build cache of ${app}\n`);
  });
});
