import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/builder/build-app.ts';
import type { BuildResult } from '../../../src/lib/types.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { fetchBody, FIXTURES, leftovers, removeApp, serve, settings, stackForTests } from './helpers.ts';

const docker = await connectDocker();

describe('building the sample apps and serving HTTP from the images', () => {
  const d = docker!;
  const apps: string[] = [];
  beforeAll(async () => {
    await stackForTests(d);
  });
  afterAll(async () => {
    for (const app of apps) await removeApp(d, app);
    for (const app of apps) expect(await leftovers(d, app)).toEqual({ containers: 0, images: 0, volume: false });
  });

  async function build(sample: string, tag: string, app: string, lines: string[] = []): Promise<BuildResult> {
    if (!apps.includes(app)) apps.push(app);
    return buildApp({
      docker: d,
      settings,
      app,
      source: join(FIXTURES, sample),
      imageTag: `dokku/${app}:${tag}`,
      env: { MESSAGE: `hello from ${app}` },
      onLine: (l) => lines.push(l),
    });
  }

  async function answers(result: BuildResult, app: string, message: string, port = 5000): Promise<string> {
    const served = await serve(d, result.imageTag, { app, command: result.processTypes.web, port, env: { MESSAGE: message } });
    try {
      return await fetchBody(served.url);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await served.logs()}`);
    } finally {
      await served.container.remove({ force: true });
    }
  }

  it('node: npm installs a dependency from the registry, and a warm rebuild reuses the cache', async () => {
    const app = uniqueName('bt-node');
    const cold: string[] = [];
    const first = await build('node', 'build-1', app, cold);
    expect(first).toMatchObject({ builder: 'herokuish', buildpack: 'nodejs', processTypes: { web: 'npm start' }, exposedPorts: [] });
    expect(first.imageId).toMatch(/^sha256:/);
    expect(cold).toContain('-----> Node.js app detected');
    expect(cold).toContain('-----> Installing dependencies (npm ci)');
    expect(await answers(first, app, 'cold build')).toMatch(/^node sample: MESSAGE=cold build up /);

    const warm: string[] = [];
    const second = await build('node', 'build-2', app, warm);
    expect(warm).toContain('-----> Restoring node_modules from the cache (dependencies unchanged)');
    expect(await answers(second, app, 'warm build')).toMatch(/^node sample: MESSAGE=warm build/);
    // Seconds vary with the machine's load; the numbers are printed, the cache hit is asserted above.
    console.log(`[timing] node sample: cold build ${first.seconds}s, warm build ${second.seconds}s`);
  });

  it('static: serves the directory, with config shown through server-side includes', async () => {
    const app = uniqueName('bt-static');
    const result = await build('static', 'build-1', app);
    expect(result).toMatchObject({ buildpack: 'static', processTypes: { web: 'python3 /app/.heroku/static/serve.py /app' } });
    const body = await answers(result, app, 'a <b>static</b> hello');
    expect(body).toContain('static sample: MESSAGE=a &lt;b&gt;static&lt;/b&gt; hello');
  });

  it('python: a standard-library server', async () => {
    const app = uniqueName('bt-python');
    const lines: string[] = [];
    const result = await build('python', 'build-1', app, lines);
    expect(result).toMatchObject({ buildpack: 'python', processTypes: { web: 'python3 app.py' } });
    expect(lines).toContain('-----> No requirements to install (standard library only)');
    expect(await answers(result, app, 'from python')).toBe('python sample: MESSAGE=from python\n');
  });

  it('procfile: nothing to build, the Procfile runs', async () => {
    const app = uniqueName('bt-procfile');
    const result = await build('procfile', 'build-1', app);
    expect(result.buildpack).toBe('procfile');
    expect(Object.keys(result.processTypes)).toEqual(['web']);
    expect(await answers(result, app, 'procfile only')).toBe('procfile sample: MESSAGE=procfile only\n');
  });

  it('dockerfile: built from the source as context, EXPOSEd port recorded', async () => {
    const app = uniqueName('bt-docker');
    const lines: string[] = [];
    const result = await build('dockerfile', 'build-1', app, lines);
    expect(result).toMatchObject({ builder: 'dockerfile', exposedPorts: [3000], processTypes: { web: '' } });
    expect(result.buildpack).toBeUndefined();
    expect(lines).toContain('-----> Building ' + app + ' from Dockerfile');
    expect(lines.some((l) => /Successfully tagged/.test(l))).toBe(true);
    expect(await answers(result, app, 'from a Dockerfile', 3000)).toBe('dockerfile sample: MESSAGE=from a Dockerfile\n');
  });
});
