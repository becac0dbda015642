import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinBuildpacksDir } from '../../../src/builder/buildpack-fetch.ts';
import { parseReleaseYaml } from '../../../src/builder/release-yaml.ts';

/** The built-in buildpacks' detect and release scripts are plain sh: they run on the host too. */
const root = builtinBuildpacksDir();
const tmp = mkdtempSync(join(tmpdir(), 'dokku-bp-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function app(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function detect(buildpack: string, dir: string): Promise<string | null> {
  const res = await execa(join(root, buildpack, 'bin', 'detect'), [dir], { reject: false });
  return res.exitCode === 0 ? res.stdout.trim() : null;
}

async function release(buildpack: string, dir: string): Promise<Record<string, string>> {
  const { stdout } = await execa(join(root, buildpack, 'bin', 'release'), [dir]);
  return parseReleaseYaml(stdout);
}

describe('built-in buildpacks: detect', () => {
  const node = app('node', { 'package.json': '{"scripts":{"start":"node index.js"}}' });
  const python = app('python', { 'app.py': 'print(1)' });
  const staticSite = app('static', { 'public/index.html': '<p>hi</p>' });
  const procfile = app('procfile', { Procfile: 'web: ./run' });
  const nothing = app('nothing', { 'README.md': '#' });

  it.each([
    ['nodejs', node, 'Node.js'],
    ['python', python, 'Python'],
    ['static', staticSite, 'Static'],
    ['procfile', procfile, 'Procfile'],
  ])('%s detects its kind of app', async (bp, dir, name) => {
    expect(await detect(bp, dir)).toBe(name);
  });

  it.each(['nodejs', 'python', 'static', 'procfile'])('%s passes on an app it cannot build', async (bp) => {
    expect(await detect(bp, nothing)).toBeNull();
  });
});

describe('built-in buildpacks: release', () => {
  it('nodejs starts with npm start when there is a start script or server.js', async () => {
    expect(await release('nodejs', app('n1', { 'package.json': '{"scripts":{"start":"node a.js"}}' }))).toEqual({ web: 'npm start' });
    expect(await release('nodejs', app('n2', { 'package.json': '{}', 'server.js': '' }))).toEqual({ web: 'npm start' });
    expect(await release('nodejs', app('n3', { 'package.json': '{}' }))).toEqual({});
  });

  it('python runs the first of app.py, main.py, server.py', async () => {
    expect(await release('python', app('p1', { 'main.py': '', 'server.py': '' }))).toEqual({ web: 'python3 main.py' });
    expect(await release('python', app('p2', { 'requirements.txt': '' }))).toEqual({});
  });

  it('static serves public/ when there is one', async () => {
    expect(await release('static', app('s1', { 'public/index.html': '' }))).toEqual({ web: 'python3 /app/.heroku/static/serve.py /app/public' });
    expect(await release('static', app('s2', { 'index.html': '' }))).toEqual({ web: 'python3 /app/.heroku/static/serve.py /app' });
  });

  it('procfile leaves everything to the Procfile', async () => {
    expect(await release('procfile', app('pf', { Procfile: 'web: x' }))).toEqual({});
  });
});
