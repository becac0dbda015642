/**
 * `ps:set`, `logs:set` and their reports, `run:list` with nothing running, and `logs:failed` with
 * no failure, on the compiled binary, with Dokku's words (no app is deployed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, TARGETS, type Cli } from '../helpers/cli.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
let dokku: Cli;

beforeAll(() => {
  requireDist();
  dokku = bindCli(compiled, makeRoot('dokku-pslogs-'));
  dokku.ok('apps:create', 'node-js-app');
});
afterAll(removeRoots);

const report = (text: string): Record<string, string> =>
  Object.fromEntries(text.split('\n').filter((l) => l.includes(':') && !l.startsWith('=====>')).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  }));

describe('ps:set', () => {
  it("shows Dokku's defaults in ps:report", () => {
    const r = report(dokku.ok('ps:report', 'node-js-app'));
    expect(r['Ps restart policy']).toBe('on-failure:10');
    expect(r['Ps computed stop timeout seconds']).toBe('30');
    expect(r['Ps global stop timeout seconds']).toBe('30');
    expect(r['Ps stop timeout seconds']).toBe('');
    expect(r['Ps computed procfile path']).toBe('Procfile');
  });

  it('sets a procfile path inside the repository', () => {
    dokku.ok('ps:set', 'node-js-app', 'procfile-path', 'deploy/Procfile');
    expect(dokku.ok('ps:report', 'node-js-app', '--ps-procfile-path').trim()).toBe('deploy/Procfile');
    dokku.ok('ps:set', 'node-js-app', 'procfile-path', '');
    expect(dokku.ok('ps:report', 'node-js-app', '--ps-computed-procfile-path').trim()).toBe('Procfile');
  });

  it('sets the restart policy and stop timeout for the app, and a global stop timeout', () => {
    expect(dokku.ok('ps:set', 'node-js-app', 'restart-policy', 'on-failure:20')).toContain('Setting restart-policy to on-failure:20 for node-js-app');
    dokku.ok('ps:set', 'node-js-app', 'stop-timeout-seconds', '60');
    dokku.ok('ps:set', '--global', 'stop-timeout-seconds', '45');
    expect(dokku.ok('ps:report', 'node-js-app', '--ps-restart-policy').trim()).toBe('on-failure:20');
    const json = JSON.parse(dokku.ok('ps:report', 'node-js-app', '--format', 'json')) as Record<string, string>;
    expect(json['ps-computed-stop-timeout-seconds']).toBe('60');
    expect(json['ps-global-stop-timeout-seconds']).toBe('45');
    expect(json['ps-stop-timeout-seconds']).toBe('60');
  });

  it('unsets with an empty value, falling back on the global one', () => {
    dokku.ok('ps:set', 'node-js-app', 'stop-timeout-seconds');
    const r = report(dokku.ok('ps:report', 'node-js-app'));
    expect(r['Ps computed stop timeout seconds']).toBe('45');
    expect(r['Ps stop timeout seconds']).toBe('');
    expect(eventRows(dokku.root).filter((e) => e.type === 'SettingSet').length).toBe(6);
  });
});

describe('logs:set', () => {
  it("reports Dokku's default 10m, then the app's and the global value", () => {
    let r = report(dokku.ok('logs:report', 'node-js-app'));
    expect(r['Logs computed max size']).toBe('10m');
    expect(r['Logs max size']).toBe('');
    dokku.ok('logs:set', '--global', 'max-size', '20m');
    dokku.ok('logs:set', 'node-js-app', 'max-size', 'unlimited');
    r = report(dokku.ok('logs:report', 'node-js-app'));
    expect(r['Logs computed max size']).toBe('unlimited');
    expect(r['Logs global max size']).toBe('20m');
    expect(r['Logs max size']).toBe('unlimited');
    dokku.ok('logs:set', 'node-js-app', 'max-size', '');
    expect(dokku.ok('logs:report', 'node-js-app', '--logs-computed-max-size').trim()).toBe('20m');
  });
});

describe('run:list and logs:failed with nothing to show', () => {
  it('lists no one-off containers', () => {
    expect(dokku.ok('run:list', 'node-js-app').trim()).toBe('NAMES  COMMAND  CREATED');
    expect(JSON.parse(dokku.ok('run:list', 'node-js-app', '--format', 'json'))).toEqual([]);
  });

  it('says there is no failed deploy, and --all has nothing to show', () => {
    const r = dokku('logs:failed', 'node-js-app');
    expect([r.code, r.stderr.trim()]).toEqual([1, '!     No failed deploy for node-js-app']);
    expect(dokku('logs:failed', '--all').code).toBe(0);
  });
});

describe('ps:* --all', () => {
  it('skips an app that was never deployed instead of failing', () => {
    for (const command of ['ps:start', 'ps:stop', 'ps:restart', 'ps:rebuild']) {
      const r = dokku(command, '--all', '--parallel', '2');
      expect([command, r.code, r.stdout, r.stderr]).toEqual([command, 0, '       node-js-app has not been deployed, skipping\n', '']);
    }
  });
});
