/**
 * A redeploy returns once traffic has switched; the old container is retired after
 * `wait-to-retire` by a detached `ps:retire`, for both builds of the CLI.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk, tarOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';

const docker = await connectDocker();


const webContainers = async (app: string) =>
  (await docker!.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`, 'com.dokku.process-type=web'] } }))
    .map((c) => ({ name: c.Names[0]!.slice(1), release: c.Labels['com.dokku.release'], id: c.Id }))
    .sort((a, b) => a.name.localeCompare(b.name));

describe.each(TARGETS)('old containers retire after the deploy returns ($name)', (target) => {
  const root = makeRoot('dokku-retire-');
  const app = uniqueName(`it-retire-${target.name}`);
  const dokku = (...words: string[]) => run(target, root, words);
  const source = tarOf(join(REPO, 'test/fixtures/apps/procfile'));

  beforeAll(async () => {
    requireDist();
    expectOk(await dokku('stack:build'), 'stack:build');
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('checks:set', app, 'wait-to-retire', '3'), 'checks:set');
    expectOk(await dokku('git:from-archive', app, source), 'first deploy');
  }, 600_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    removeRoots();
  }, 120_000);

  it('returns with the old container still serving under a retiring name, then it goes', async () => {
    const [v1] = await webContainers(app);
    const r = await dokku('config:set', app, 'MESSAGE=second');
    expectOk(r, 'config:set');
    expect(r.stdout).toContain('-----> Retiring 1 old container in 3 s, in the background');
    expect(r.stdout).toContain('Application deployed');

    const during = await webContainers(app);
    expect(during.map((c) => [c.name.replace(/-[0-9a-f]{6}$/, '-TOKEN'), c.release])).toEqual([
      [`${app}.web.1`, '2'],
      [`${app}.web.1.retiring-TOKEN`, '1'],
    ]);
    expect(during[1]!.id).toBe(v1!.id);

    let after = during;
    for (let i = 0; i < 100 && after.length > 1; i++) {
      await new Promise((res) => setTimeout(res, 200));
      after = await webContainers(app);
    }
    expect(after.map((c) => [c.name, c.release])).toEqual([[`${app}.web.1`, '2']]);
  }, 120_000);

  it('ps:retire refuses what is not a container id', async () => {
    const r = await dokku('ps:retire', app, 'web.1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Invalid container id 'web.1'");
  });
});
