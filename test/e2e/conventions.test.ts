import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, fingerprint, makeRoot, onTerminal, removeRoots, requireDist, TARGETS, type Cli } from '../helpers/cli.ts';

/**
 * What a Dokku script expects of the CLI, on the compiled binary: titles only on a terminal, global
 * flags before the command, a report's single-field flags, and Dokku's JSON shapes.
 */

beforeAll(requireDist);
afterAll(removeRoots);

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

function withApps(...names: string[]): Cli {
  const dokku = bindCli(compiled, makeRoot('dokku-conventions-'));
  for (const n of names) dokku.ok('apps:create', n);
  return dokku;
}
const terminal = (dokku: Cli, ...words: string[]) => onTerminal(compiled, dokku.root, words).stdout;

describe('titles are for a terminal', () => {
  it('piped, apps:list is bare names, ready for xargs; on a terminal it has its title', () => {
    const dokku = withApps('web', 'api');
    expect(dokku.ok('apps:list')).toBe('api\nweb\n');
    expect(terminal(dokku, 'apps:list')).toBe('=====> My Apps\napi\nweb\n');
  });

  it('--quiet and DOKKU_QUIET_OUTPUT leave the titles out on a terminal too; steps stay', () => {
    const dokku = withApps('web');
    dokku.ok('config:set', 'web', 'A=1');
    expect(terminal(dokku, '--quiet', 'apps:list')).toBe('web\n');
    expect(onTerminal(compiled, dokku.root, ['apps:list'], { DOKKU_QUIET_OUTPUT: '1' }).stdout).toBe('web\n');
    expect(terminal(dokku, 'config', 'web')).toBe('=====> web env vars\nA: 1\n');
    expect(terminal(dokku, '--quiet', 'config', 'web')).toBe('A: 1\n');
    expect(lines(terminal(dokku, '--quiet', 'apps:report', 'web'))[0]).toMatch(/^ {7}App created at: +\S/);
    // A step is not a title: it is what the command did.
    expect(dokku.ok('--quiet', 'apps:lock', 'web')).toBe('-----> Deploy lock created\n');
  });

  it('over SSH (no terminal) the output is the piped one', () => {
    const dokku = withApps('web');
    expect(dokku.with({ env: { SSH_ORIGINAL_COMMAND: 'apps:list' } }).stdout).toBe('web\n');
    expect(dokku.with({ env: { SSH_ORIGINAL_COMMAND: '--quiet apps:list' } }).stdout).toBe('web\n');
  });
});

describe('global flags before the command', () => {
  it('--app APP is the command\'s first argument', () => {
    const dokku = withApps('web');
    dokku.ok('--app', 'web', 'config:set', 'A=1');
    expect(dokku.ok('--app', 'web', 'config:get', 'A')).toBe('1\n');
    expect(dokku.ok('--app=web', 'config')).toBe(dokku.ok('config', 'web'));
    expect(dokku.ok('--app', 'web', 'apps:report', '--app-locked')).toBe('false\n');
    const r = dokku('--app', 'nope', 'config');
    expect([r.code, r.stderr]).toEqual([1, ' !     App nope does not exist\n']);
  });

  it('--force before apps:destroy destroys without asking', () => {
    const dokku = withApps('web', 'api');
    expect(dokku('apps:destroy', 'api').code).toBe(1);
    expect(dokku.ok('--force', 'apps:destroy', 'api')).toBe('-----> Destroying api (including all add-ons)\n');
    expect(dokku.ok('--force', '--app', 'web', 'apps:destroy')).toBe('-----> Destroying web (including all add-ons)\n');
    expect(dokku.ok('apps:list')).toBe('');
    // A command without --force takes no harm from it.
    expect(dokku.ok('--force', 'apps:list')).toBe('');
  });

  it('--trace is accepted and changes nothing; the flags combine in any order', () => {
    const dokku = withApps('web');
    expect(dokku.ok('--trace', 'apps:list')).toBe('web\n');
    expect(terminal(dokku, '--trace', '--quiet', '--app', 'web', 'ps:report', '--deployed')).toBe('false\n');
    expect(terminal(dokku, '--app', 'web', '--quiet', 'config')).toBe('');
  });

  it('a refused --app changes nothing', () => {
    const dokku = withApps('web');
    const before = fingerprint(dokku.root);
    expect(dokku('--app', 'web', 'apps:list').code).toBe(2);
    expect(fingerprint(dokku.root)).toEqual(before);
  });
});

describe('reports as Dokku prints them', () => {
  it('a single-field flag prints just the value, for one app or each app', () => {
    const dokku = withApps('web', 'api');
    dokku.ok('apps:lock', 'api');
    expect(dokku.ok('apps:report', 'web', '--app-locked')).toBe('false\n');
    expect(dokku.ok('apps:report', '--app-locked')).toBe('true\nfalse\n');
    expect(dokku.ok('apps:report', 'web', '--app-dir')).toBe(`${join(dokku.root, 'web')}\n`);
    expect(dokku.ok('ps:report', 'web', '--deployed')).toBe('false\n');
    expect(dokku.ok('ps:report', 'web', '--restore')).toBe('true\n');
    expect(dokku.ok('certs:report', 'web', '--ssl-enabled')).toBe('false\n');
    expect(dokku.ok('domains:report', 'web', '--domains-app-enabled')).toBe('false\n');
    expect(dokku.ok('proxy:report', 'web', '--proxy-type')).toBe('nginx\n');
    expect(dokku.ok('checks:report', 'web', '--checks-disabled-list')).toBe('none\n');
    dokku.ok('git:set', 'web', 'deploy-branch', 'release');
    expect(dokku.ok('git:report', 'web', '--git-deploy-branch')).toBe('release\n');
    expect(dokku.ok('nginx:report', 'web', '--nginx-access-log-path')).toMatch(/web-access\.log\n$/);
    // Flags for fields Dokku lacks work the same way.
    expect(dokku.ok('ps:report', 'web', '--stopped')).toBe('false\n');
    // Every field of the text report has its flag, with the same value.
    for (const row of lines(dokku.ok('apps:report', 'web'))) {
      const [, label, value] = /^ {7}([^:]+):\s*(.*)$/.exec(row)!;
      expect(dokku.ok('apps:report', 'web', `--${label!.toLowerCase().replace(/ /g, '-')}`)).toBe(`${value}\n`);
    }
  });

  it("rows are sorted by flag and padded to Dokku's 31 columns or the longest label; Dokku's fields come before ours", () => {
    const dokku = withApps('web');
    const text = lines(terminal(dokku, 'ps:report', 'web'));
    expect(text).toEqual([
      '=====> web ps information',
      '       Deployed:                         false',
      '       Processes:                        0',
      '       Ps can scale:                     true',
      '       Ps computed procfile path:        Procfile',
      '       Ps computed stop timeout seconds: 30',
      '       Ps global procfile path:          Procfile',
      '       Ps global stop timeout seconds:   30',
      '       Ps oom killed:',
      '       Ps procfile path:',
      '       Ps restart policy:                on-failure:10',
      '       Ps stop timeout seconds:',
      '       Restore:                          true',
      '       Running:                          false',
      '       Current release:',
      '       Stopped:                          false',
      '       Formation:',
      '       Upstreams:',
    ]);
    const ssl = lines(dokku.ok('certs:report', 'web')).map((l) => l.trim().split(':')[0]);
    expect(ssl.slice(0, 8)).toEqual(['Ssl dir', 'Ssl enabled', 'Ssl expires at', 'Ssl fingerprint', 'Ssl hostnames', 'Ssl issuer', 'Ssl starts at', 'Ssl subject']);
  });

  it('--format json is one compact object of strings per app, keyed as Dokku keys it', () => {
    const dokku = withApps('web', 'api');
    const one = dokku.ok('ps:report', 'web', '--format', 'json');
    expect(one).toBe(`${JSON.stringify(JSON.parse(one))}\n`);
    const parsed = JSON.parse(one) as Record<string, unknown>;
    expect(parsed).toMatchObject({ deployed: 'false', processes: '0', 'ps-can-scale': 'true', restore: 'true', running: 'false' });
    for (const v of Object.values(parsed)) expect(typeof v).toBe('string');
    const all = lines(dokku.ok('domains:report', '--format', 'json')).map((l) => JSON.parse(l) as Record<string, string>);
    expect(all).toHaveLength(2);
    for (const r of all) expect(Object.keys(r)).toEqual(expect.arrayContaining(['domains-app-enabled', 'domains-app-vhosts', 'domains-global-enabled', 'domains-global-vhosts']));
  });

  it('apps:list --format json is an array of names; json-detail keeps the detail', () => {
    const dokku = withApps('web', 'api');
    expect(dokku.ok('apps:list', '--format', 'json')).toBe('["api","web"]\n');
    expect(dokku.ok('apps:list', '--format', 'stdout')).toBe('api\nweb\n');
    const detail = JSON.parse(dokku.ok('apps:list', '--format', 'json-detail')) as Array<{ name: string; locked: boolean }>;
    expect(detail.map((a) => [a.name, a.locked])).toEqual([['api', false], ['web', false]]);
  });
});

describe('help', () => {
  it('help names the namespaces; <ns>:help lists one; help --all lists every command', () => {
    const dokku = withApps();
    const help = dokku.ok('help');
    expect(help.split('\n')[0]).toBe('Usage: dokku [--quiet|--trace|--force|--app APP] COMMAND <app> [command-specific-options]');
    expect(help).toMatch(/^ {4}apps +Manage apps$/m);
    expect(help).toMatch(/^ {4}ps +Manage app processes$/m);
    expect(help).not.toContain('apps:create');
    // Where dokku differs from Dokku on purpose, help says so.
    expect(help).toMatch(/^Where dokku differs from Dokku on purpose:$/m);
    for (const ns of ['releases, rollback', 'events', 'ssh-keys, acl']) expect(help).toMatch(new RegExp(`^ {4}${ns} {2,}\\S`, 'm'));
    const apps = dokku.ok('apps:help');
    expect(apps.split('\n').slice(0, 5)).toEqual(['Usage: dokku apps[:COMMAND]', '', 'Manage apps', '', 'Additional commands:']);
    expect(apps).toMatch(/^ {4}apps:create <app> +Create an app$/m);
    expect(apps).not.toContain('config:set');
    expect(dokku.ok('help', 'apps')).toBe(apps);
    const all = dokku.ok('help', '--all');
    for (const c of ['apps:create', 'config:set', 'ps:report', 'certs:report', 'help']) expect(all).toMatch(new RegExp(`^ {4}${c}\\b`, 'm'));
    expect(all).not.toContain('git-hook');
  });
});
