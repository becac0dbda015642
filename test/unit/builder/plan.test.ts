import { describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/builder/errors.ts';
import { BUILTIN_BUILDPACKS, buildPlan, detectBuilder, parseBuildpackRef, parseBuildpacksFile } from '../../../src/builder/plan.ts';

describe('detectBuilder (Dokku rule)', () => {
  it('picks dockerfile when a Dockerfile is at the root, else herokuish', () => {
    expect(detectBuilder(['Dockerfile', 'package.json'])).toBe('dockerfile');
    expect(detectBuilder(['package.json', 'Procfile'])).toBe('herokuish');
    expect(detectBuilder(['dockerfile'])).toBe('herokuish'); // case matters, as in Dokku
    expect(detectBuilder([])).toBe('herokuish');
  });

  it('lets an explicit selection win', () => {
    expect(detectBuilder(['Dockerfile'], 'herokuish')).toBe('herokuish');
    expect(detectBuilder(['package.json'], 'dockerfile')).toBe('dockerfile');
    expect(detectBuilder(['Dockerfile'], 'null')).toBe('null');
    expect(detectBuilder(['Dockerfile'], '')).toBe('dockerfile');
    expect(detectBuilder(['Dockerfile'], null)).toBe('dockerfile');
  });

  it('refuses an unknown builder', () => {
    expect(() => detectBuilder([], 'pack')).toThrow(/Unknown builder 'pack'/);
  });
});

describe('buildpack references', () => {
  it('knows the built-ins, with Heroku-style aliases', () => {
    expect(parseBuildpackRef('nodejs')).toEqual({ kind: 'builtin', name: 'nodejs', ref: 'nodejs' });
    expect(parseBuildpackRef('heroku/python')).toMatchObject({ kind: 'builtin', name: 'python' });
    expect(parseBuildpackRef('heroku-buildpack-static')).toMatchObject({ kind: 'builtin', name: 'static' });
  });

  it('takes git URLs with an optional #branch, tag or commit', () => {
    expect(parseBuildpackRef('https://github.com/heroku/heroku-buildpack-ruby.git')).toEqual({
      kind: 'git',
      url: 'https://github.com/heroku/heroku-buildpack-ruby.git',
      ref: 'https://github.com/heroku/heroku-buildpack-ruby.git',
      transport: 'https',
    });
    expect(parseBuildpackRef('https://example.com/bp.git#v1.2')).toMatchObject({ url: 'https://example.com/bp.git', commitish: 'v1.2' });
    expect(parseBuildpackRef('file:///tmp/bp.git')).toMatchObject({ kind: 'git', url: 'file:///tmp/bp.git' });
    expect(parseBuildpackRef('/srv/buildpacks/bp')).toMatchObject({ kind: 'git' });
    expect(parseBuildpackRef('git@example.com:org/bp.git')).toMatchObject({ kind: 'git' });
  });

  it.each(['ruby', 'https://x/bp.git#--upload-pack=evil', 'https://x/bp;rm -rf', '-u', 'ext::sh -c evil', 'https://x/$(id)'])('refuses %j', (ref) => {
    expect(() => parseBuildpackRef(ref)).toThrow(BuildError);
  });

  it('reads .buildpacks files', () => {
    expect(parseBuildpacksFile('# first\nnodejs\n\n  https://example.com/bp.git#main  \r\nstatic\n').map((b) => b.ref)).toEqual([
      'nodejs',
      'https://example.com/bp.git#main',
      'static',
    ]);
  });
});

describe('buildPlan', () => {
  it('detects with the built-ins, in order, when nothing is set', () => {
    const plan = buildPlan({ files: ['package.json'] });
    expect(plan).toMatchObject({ builder: 'herokuish', from: 'detect' });
    expect(plan.builder === 'herokuish' && plan.buildpacks.map((b) => b.ref)).toEqual([...BUILTIN_BUILDPACKS]);
  });

  it("prefers the app's list, then BUILDPACK_URL, then .buildpacks", () => {
    const all = { files: ['.buildpacks'], buildpacks: ['python'], env: { BUILDPACK_URL: 'static' }, buildpacksFile: 'nodejs\n' };
    expect(buildPlan(all)).toMatchObject({ from: 'app', buildpacks: [{ name: 'python' }] });
    expect(buildPlan({ ...all, buildpacks: [] })).toMatchObject({ from: 'BUILDPACK_URL', buildpacks: [{ name: 'static' }] });
    expect(buildPlan({ ...all, buildpacks: [], env: {} })).toMatchObject({ from: '.buildpacks', buildpacks: [{ name: 'nodejs' }] });
    expect(buildPlan({ ...all, buildpacks: [], env: {}, buildpacksFile: '# empty\n' })).toMatchObject({ from: 'detect' });
  });

  it("uses app.json's buildpacks after the app's list and BUILDPACK_URL, before .buildpacks", () => {
    const all = { files: ['.buildpacks'], buildpacks: ['python'], env: { BUILDPACK_URL: 'static' }, appJsonBuildpacks: ['heroku/nodejs', 'https://github.com/heroku/heroku-buildpack-ruby.git'], buildpacksFile: 'python\n' };
    expect(buildPlan(all)).toMatchObject({ from: 'app' });
    expect(buildPlan({ ...all, buildpacks: [] })).toMatchObject({ from: 'BUILDPACK_URL' });
    expect(buildPlan({ ...all, buildpacks: [], env: {} })).toMatchObject({ from: 'app.json', buildpacks: [{ name: 'nodejs' }, { kind: 'git' }] });
    expect(() => buildPlan({ ...all, buildpacks: [], env: {}, appJsonBuildpacks: ['/srv/bp'], tenant: true })).toThrow();
  });

  it('builds Dockerfiles, or nothing for the null builder', () => {
    expect(buildPlan({ files: ['Dockerfile'] })).toEqual({ builder: 'dockerfile', dockerfile: 'Dockerfile' });
    expect(buildPlan({ files: ['Dockerfile'], selected: 'null' })).toEqual({ builder: 'null' });
    expect(() => buildPlan({ files: ['app.py'], selected: 'dockerfile' })).toThrow(/has no Dockerfile/);
  });

  it('ignores buildpack settings for a Dockerfile build', () => {
    expect(buildPlan({ files: ['Dockerfile'], buildpacks: ['nodejs'] })).toMatchObject({ builder: 'dockerfile' });
  });
});
