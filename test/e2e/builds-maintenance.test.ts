import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, eventRows, makeRoot, onTerminal, removeRoots, requireDist, TARGETS, withDb } from '../helpers/cli.ts';

/** builds:set|report|prune, repo:gc, buildpacks:report|detect and report, as Dokku's docs show them. */

beforeAll(requireDist);
afterAll(removeRoots);

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const errorOf = (r: { code: number; stderr: string }) => [r.code, lines(r.stderr)[0]];

describe.each(TARGETS)('builds maintenance ($name)', (target) => {
  const fresh = () => {
    const dokku = bindCli(target, makeRoot());
    dokku.ok('apps:create', 'myapp');
    return dokku;
  };

  it('builds:set retention per app and --global; builds:report shows the computed one', () => {
    const dokku = fresh();
    expect(dokku.ok('builds:report', 'myapp', '--builds-computed-retention').trim()).toBe('20');
    expect(dokku.ok('builds:set', 'myapp', 'retention', '50')).toBe('-----> Setting retention to 50 for myapp\n');
    dokku.ok('builds:set', '--global', 'retention', '10');
    const report = JSON.parse(dokku.ok('builds:report', 'myapp', '--format', 'json')) as Record<string, string>;
    expect(report).toMatchObject({ 'builds-retention': '50', 'builds-global-retention': '10', 'builds-computed-retention': '50', 'build-status': '' });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['build-id', 'build-kind', 'build-pid', 'build-source', 'build-started-at', 'build-finished-at', 'build-exit-code']));
    dokku.ok('builds:set', 'myapp', 'retention');
    expect(dokku.ok('builds:report', 'myapp', '--builds-computed-retention').trim()).toBe('10');
    expect(dokku.ok('builds:report', '--global', '--builds-global-retention').trim()).toBe('10');
    const shown = lines(onTerminal(target, dokku.root, ['builds:report', 'myapp']).stdout);
    expect(shown[0]).toBe('=====> myapp builds information');
    expect(shown).toContain('       Builds computed retention:     10');
    const settings = eventRows(dokku.root).filter((e) => e.type === 'SettingSet');
    expect(settings).toHaveLength(3);
  });

  it('builds:set refuses what is not a retention, writing nothing', () => {
    const dokku = fresh();
    const before = eventRows(dokku.root).length;
    expect(errorOf(dokku('builds:set', 'myapp', 'retention', '0'))).toEqual([1, " !     Invalid value for builds retention: '0' (expected a whole number from 1 to 10000)"]);
    expect(errorOf(dokku('builds:set', 'myapp', 'keep', '3'))).toEqual([1, " !     Unknown builds property 'keep': use one of retention"]);
    expect(errorOf(dokku('builds:set', 'myapp'))).toEqual([2, ' !     Missing property: one of retention']);
    expect(errorOf(dokku('builds:set', 'nope', 'retention', '3'))).toEqual([1, ' !     App nope does not exist']);
    expect(eventRows(dokku.root)).toHaveLength(before);
  });

  it('builds:prune takes an app or --all-apps', () => {
    const dokku = fresh();
    expect(dokku.ok('builds:prune', 'myapp')).toBe('-----> Nothing to prune for myapp\n');
    expect(dokku.ok('builds:prune', '--all-apps')).toBe('-----> Nothing to prune for myapp\n');
    expect(errorOf(dokku('builds:prune'))).toEqual([2, ' !     Missing app name (or pass --all-apps)']);
    expect(errorOf(dokku('builds:prune', 'myapp', '--all-apps'))).toEqual([2, ' !     Name an app or pass --all-apps, not both']);
  });

  it('repo:gc runs git gc in the bare repository, and refuses an app without one', () => {
    const dokku = fresh();
    expect(errorOf(dokku('repo:gc', 'myapp'))).toEqual([1, ' !     myapp has no git repository yet']);
    const repo = join(dokku.root, 'myapp.git');
    expect(spawnSync('git', ['init', '--bare', '--quiet', repo]).status).toBe(0);
    const work = mkdtempSync(join(tmpdir(), 'dokku-gc-'));
    const git = (...args: string[]) => expect(spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: work }).status).toBe(0);
    git('init', '--quiet');
    writeFileSync(join(work, 'a.txt'), 'a\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'a');
    git('push', '--quiet', repo, 'HEAD:refs/heads/main');
    expect(dokku.ok('repo:gc', 'myapp')).toBe("-----> Running git gc in myapp's repository\n");
    // gc packs the loose objects the push left.
    expect(spawnSync('git', ['count-objects', '-v'], { cwd: repo, encoding: 'utf8' }).stdout).toMatch(/^count: 0$/m);
  });

  it('buildpacks:report shows Dokku fields, and buildpacks:detect reads the stored source', () => {
    const dokku = fresh();
    dokku.ok('buildpacks:add', 'myapp', 'https://github.com/heroku/heroku-buildpack-nodejs.git');
    dokku.ok('buildpacks:add', 'myapp', 'python');
    expect(JSON.parse(dokku.ok('buildpacks:report', 'myapp', '--format', 'json'))).toEqual({
      'buildpacks-computed-stack': '',
      'buildpacks-global-stack': '',
      'buildpacks-list': 'https://github.com/heroku/heroku-buildpack-nodejs.git,python',
      'buildpacks-stack': '',
    });
    expect(errorOf(dokku('buildpacks:detect', 'myapp'))).toEqual([1, ' !     myapp has no stored source yet: deploy it first']);
    const id = withDb(dokku.root, (db) => (db.prepare('SELECT id FROM apps WHERE name = ?').get('myapp') as { id: string }).id);
    const src = mkdtempSync(join(tmpdir(), 'dokku-detect-'));
    writeFileSync(join(src, 'index.html'), '<p>hi</p>\n');
    writeFileSync(join(src, 'Procfile'), 'web: true\n');
    mkdirSync(join(dokku.root, 'sources'), { recursive: true });
    expect(spawnSync('tar', ['-C', src, '-cf', join(dokku.root, 'sources', `${id}.tar`), '.']).status).toBe(0);
    expect(lines(dokku.ok('buildpacks:detect', 'myapp'))).toEqual(['       Builder: herokuish', '       Buildpacks from: app', '       Buildpack: https://github.com/heroku/heroku-buildpack-nodejs.git']);
    dokku.ok('buildpacks:clear', 'myapp');
    expect(lines(dokku.ok('buildpacks:detect', 'myapp'))).toEqual(['       Builder: herokuish', '       Buildpacks from: detect', '       Buildpack: static']);
    dokku.ok('builder:set', 'myapp', 'selected', 'null');
    expect(lines(dokku.ok('buildpacks:detect', 'myapp'))).toEqual(['       Builder: null']);
  });

  it("report prints every namespace's report for the app", () => {
    const dokku = fresh();
    const r = dokku.with({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }, 'report', 'myapp');
    const titles = lines(onTerminal(target, dokku.root, ['report', 'myapp'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }).stdout).filter((l) => l.startsWith('=====>'));
    for (const ns of ['app', 'builder', 'buildpacks', 'builds', 'checks', 'domains', 'git', 'letsencrypt', 'nginx', 'ports', 'proxy', 'ssl']) expect(titles).toContain(`=====> myapp ${ns} information`);
    expect(r.stdout).toContain('Builds computed retention:');
    expect(r.stdout).toContain('Buildpacks list:');
    // Docker is unreachable: ps:report alone fails, as one line, and the command exits 1.
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^ !     ps:report: /)]);
    expect(errorOf(dokku('report', 'nope'))).toEqual([1, ' !     App nope does not exist']);
  });
});
