import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, TARGETS, type Cli } from '../helpers/cli.ts';

/**
 * domains:disable|enable|reset, proxy:set, proxy:clear-config and checks:run on the compiled binary,
 * with Dokku's field names; no Docker or nginx is reached (the apps are not deployed).
 */

beforeAll(requireDist);
afterAll(removeRoots);

const compiled = TARGETS.find((t) => t.name === 'compiled')!;

function withApps(...names: string[]): Cli {
  const dokku = bindCli(compiled, makeRoot('dokku-proxy-commands-'));
  for (const n of names) dokku.ok('apps:create', n);
  return dokku;
}
const settingEvents = (dokku: Cli, namespace: string) =>
  eventRows(dokku.root).filter((e) => e.type === 'SettingSet' && (JSON.parse(e.data) as { namespace: string }).namespace === namespace).map((e) => JSON.parse(e.data) as { key: string; value: string | null });

describe('domains:disable, domains:enable, domains:reset', () => {
  it('disable gives the app a host port of its own and drops its vhost names; enable takes it back', () => {
    const dokku = withApps('web', 'api');
    dokku.ok('domains:set-global', 'example.com');
    dokku.ok('domains:add', 'web', 'www.example.org');
    const out = dokku.ok('domains:disable', 'web');
    expect(out).toMatch(/^-----> Disabled domains for web: served on port (\d+) \(/);
    const port = Number(/port (\d+)/.exec(out)![1]);
    expect(port).toBeGreaterThanOrEqual(10000);
    expect(dokku.ok('domains:report', 'web', '--domains-host-port')).toBe(`${port}\n`);
    expect(dokku.ok('domains:report', 'web', '--domains-app-enabled')).toBe('false\n');
    expect(dokku.ok('domains:report', 'web', '--domains-effective')).toBe('\n');
    // The app's own domains stay on record for domains:enable.
    expect(dokku.ok('domains:report', 'web', '--domains-app-vhosts')).toBe('www.example.org\n');
    // A second app disabled gets another port.
    const other = Number(/port (\d+)/.exec(dokku.ok('domains:disable', 'api'))![1]);
    expect(other).not.toBe(port);
    expect(dokku.ok('domains:disable', 'web')).toBe('-----> Domains already disabled for web\n');
    expect(settingEvents(dokku, 'domains')).toEqual([{ namespace: 'domains', key: 'host-port', value: String(port) }, { namespace: 'domains', key: 'host-port', value: String(other) }]);

    expect(dokku.ok('domains:enable', 'web')).toBe('-----> Enabled domains for web\n');
    expect(dokku.ok('domains:report', 'web', '--domains-host-port')).toBe('\n');
    expect(dokku.ok('domains:report', 'web', '--domains-app-enabled')).toBe('true\n');
    expect(dokku.ok('domains:report', 'web', '--domains-effective')).toBe('www.example.org web.example.com\n');
    expect(dokku.ok('domains:enable', 'web')).toBe('-----> Domains already enabled for web\n');
  });

  it('reset leaves the global domains only, and turns vhosts back on', () => {
    const dokku = withApps('web');
    dokku.ok('domains:set-global', 'example.com');
    dokku.ok('domains:add', 'web', 'www.example.org', 'api.example.org');
    dokku.ok('domains:disable', 'web');
    expect(dokku.ok('domains:reset', 'web')).toBe('-----> Reset the domains of web to the global domains\n');
    expect(dokku.ok('domains:report', 'web', '--domains-app-vhosts')).toBe('\n');
    expect(dokku.ok('domains:report', 'web', '--domains-host-port')).toBe('\n');
    expect(dokku.ok('domains:report', 'web', '--domains-effective')).toBe('web.example.com\n');
    const json = JSON.parse(dokku.ok('domains:report', 'web', '--format', 'json')) as Record<string, unknown>;
    expect(json).toMatchObject({ 'domains-app-enabled': 'false', 'domains-global-vhosts': 'example.com', 'domains-host-port': '' });
  });
});

describe('proxy:set and proxy:clear-config', () => {
  it('proxy:set nginx is recorded for the app or --global; other Dokku types are refused by name', () => {
    const dokku = withApps('web');
    expect(dokku.ok('proxy:set', 'web', 'type', 'nginx')).toBe('=====> Setting type to nginx\n');
    expect(dokku.ok('proxy:set', '--global', 'type', 'nginx')).toBe('=====> Setting type to nginx\n');
    // Dokku's older form, without the property name.
    expect(dokku.ok('proxy:set', 'web', 'nginx')).toBe('-----> Proxy type of web is already nginx\n');
    expect(dokku.ok('proxy:set', '--global', 'nginx')).toBe('-----> Proxy type of global is already nginx\n');
    expect(dokku.ok('proxy:report', 'web', '--proxy-type')).toBe('nginx\n');
    const before = eventRows(dokku.root).length;
    for (const type of ['caddy', 'haproxy', 'openresty', 'traefik']) {
      const r = dokku('proxy:set', 'web', 'type', type);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(` !     Proxy type '${type}' refused: ${type} is a Dokku proxy type not built in here; the only proxy type is nginx\n`);
    }
    expect(eventRows(dokku.root).length).toBe(before);
    expect(settingEvents(dokku, 'proxy').map((e) => e.value)).toEqual(['nginx', 'nginx']);
  });

  it('proxy:clear-config needs an app or --all, and an app that exists', () => {
    const dokku = withApps('web', 'api');
    expect(dokku.ok('proxy:clear-config', 'web')).toBe('-----> Cleared nginx config for web\n');
    expect(dokku.ok('proxy:clear-config', '--all')).toBe('-----> Cleared nginx config for api\n-----> Cleared nginx config for web\n');
    expect(dokku('proxy:clear-config').code).toBe(2);
    const r = dokku('proxy:clear-config', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ !     App ghost does not exist/);
  });
});

describe('checks:run', () => {
  it('refuses an app that has not been deployed, in one line, appending nothing', () => {
    const dokku = withApps('web');
    const before = eventRows(dokku.root).length;
    const r = dokku('checks:run', 'web');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     web has not been deployed\n');
    expect(eventRows(dokku.root).length).toBe(before);
    expect(dokku.ok('checks:run', '--help')).toMatch(/checks:run <app> \[process\]/);
  });
});
