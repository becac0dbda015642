import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/builder/build-app.ts';
import { dockerBuilder } from '../../../src/builder/builder.ts';
import { BuildError } from '../../../src/builder/errors.ts';
import { buildFromImage } from '../../../src/builder/from-image.ts';
import { runPredeploy } from '../../../src/builder/predeploy.ts';
import { connectDocker, runInImage, uniqueName } from '../../helpers/docker.ts';
import { FIXTURES, removeApp, settings, stackForTests } from './helpers.ts';

const docker = await connectDocker();

describe('predeploy and images', () => {
  const d = docker!;
  const app = uniqueName('bt-pre');
  let pythonTag = '';
  let dockerfileTag = '';
  let procfileTag = '';

  beforeAll(async () => {
    await stackForTests(d);
    const common = { docker: d, settings, app, env: { MESSAGE: 'build time' }, onLine: () => {} };
    pythonTag = (await buildApp({ ...common, source: join(FIXTURES, 'python'), imageTag: `dokku/${app}:python` })).imageTag;
    dockerfileTag = (await buildApp({ ...common, source: join(FIXTURES, 'dockerfile'), imageTag: `dokku/${app}:dockerfile` })).imageTag;
    procfileTag = (await buildApp({ ...common, source: join(FIXTURES, 'procfile'), imageTag: `dokku/${app}:procfile` })).imageTag;
  });
  afterAll(async () => {
    await removeApp(d, app);
  });

  async function run(image: string, command: string): Promise<string> {
    return runInImage(d, image, app, command);
  }


  it("commits what the predeploy command leaves behind, keeping the image's command and leaving the config out", async () => {
    const before = await d.getImage(pythonTag).inspect();
    const lines: string[] = [];
    const id = await runPredeploy(d, pythonTag, 'echo "migrating for $MESSAGE"; echo "$MESSAGE" > /app/predeploy.txt; echo "$PYTHONPATH"', { MESSAGE: 'predeploy time' }, (l) => lines.push(l));
    expect(id).toMatch(/^sha256:/);
    expect(id).not.toBe(before.Id);
    expect(lines).toContain('       migrating for predeploy time');
    expect(lines).toContain('       /app/.heroku/python'); // .profile.d was sourced
    const after = await d.getImage(pythonTag).inspect();
    expect(after.Id).toBe(id);
    expect(after.Config.Cmd).toEqual(before.Config.Cmd);
    expect(after.Config.Entrypoint).toEqual(before.Config.Entrypoint);
    expect(after.Config.Env).toEqual(before.Config.Env);
    expect(after.Config.User).toBe(before.Config.User);
    expect(await run(pythonTag, 'cat /app/predeploy.txt')).toBe('predeploy time\n');
  });

  it('fails the build when the predeploy command fails, leaving the image as it was', async () => {
    const before = (await d.getImage(pythonTag).inspect()).Id;
    const err = await runPredeploy(d, pythonTag, 'echo nope >&2; exit 4', {}, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as Error).message).toBe('The predeploy command failed with exit code 4: echo nope >&2; exit 4');
    expect((await d.getImage(pythonTag).inspect()).Id).toBe(before);
  });

  it('takes an existing image as a build (git:from-image), without pulling', async () => {
    const tag = `dokku/${app}:from-image`;
    const result = await buildFromImage({ docker: d, app, image: dockerfileTag, imageTag: tag, onLine: () => {} });
    expect(result).toMatchObject({ builder: 'image', imageTag: tag, exposedPorts: [3000], processTypes: { web: '' } });
    expect((await d.getImage(tag).inspect()).Id).toBe(result.imageId);
    // A Procfile in the image's WORKDIR gives the process types, as in Dokku.
    const withProcfile = await buildFromImage({ docker: d, app, image: procfileTag, imageTag: `dokku/${app}:from-image-2`, onLine: () => {} });
    expect(withProcfile.processTypes.web).toMatch(/^node -e /);
    const missing = await buildFromImage({ docker: d, app, image: 'dokku-test/not-here:1', imageTag: tag, onLine: () => {} }).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/is not on this Docker host \(images are never pulled\)/);
  });

  it('works through the Builder the deploy pipeline uses', async () => {
    const builder = dockerBuilder(d, settings);
    const result = await builder.build({
      app,
      source: { kind: 'archive', path: join(FIXTURES, 'procfile') },
      imageTag: `dokku/${app}:pipeline`,
      buildpacks: [],
      env: {},
      onLine: () => {},
    });
    expect(result.buildpack).toBe('procfile');
    await builder.removeImage(result.imageTag);
    await builder.removeImage(result.imageTag); // already gone: fine
    await expect(d.getImage(result.imageTag).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
