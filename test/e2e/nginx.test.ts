/**
 * nginx:set, nginx:report and nginx:start/stop/reload on the compiled binary, in Dokku's words
 * (its "Setting Properties for the nginx config" examples). nginx itself is `true` here, or a small
 * recorder: what the commands run, and with which words, is what is checked.
 */
import { readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, removeRoots, requireDist, runSync, TARGETS, eventRows } from '../helpers/cli.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-nginx-e2e-');
const recorder = join(root, 'record.sh');
const record = join(root, 'record.log');
const ENV = {
  DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  DOKKU_NGINX_TEST: 'true',
  DOKKU_NGINX_RELOAD: `${recorder} reload`,
  DOKKU_NGINX_START: `${recorder} start "with two words"`,
  DOKKU_NGINX_STOP: `${recorder} stop`,
  DOKKU_NGINX_CONF_DIR: join(root, 'nginx-conf'),
  DOKKU_NGINX_LOG_DIR: join(root, 'nginx-log'),
};
const dokku = (...words: string[]) => runSync(compiled, root, words, { env: ENV });
const ok = (...words: string[]) => {
  const r = dokku(...words);
  if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const json = (app: string) => JSON.parse(ok('nginx:report', app, '--format', 'json')) as Record<string, string>;

beforeAll(() => {
  requireDist();
  // Prints its arguments one a line, so a test sees the words exactly; exits 3 on "fail".
  writeFileSync(recorder, `#!/bin/sh\nfor a in "$@"; do echo "$a" >> ${record}; done\n[ "$1" = fail ] && exit 3\necho "nginx: $1 done"\n`);
  chmodSync(recorder, 0o755);
  ok('apps:create', 'node-js-app');
  ok('apps:create', 'other');
});
afterAll(removeRoots);

describe('nginx:set and nginx:report', () => {
  it("report shows every property with Dokku's field names and defaults", () => {
    const r = json('node-js-app');
    expect(r).toMatchObject({
      'nginx-access-log-format': '',
      'nginx-access-log-path': join(ENV.DOKKU_NGINX_LOG_DIR, 'node-js-app-access.log'),
      'nginx-bind-address-ipv4': '',
      'nginx-bind-address-ipv6': '',
      'nginx-client-body-timeout': '60s',
      'nginx-client-header-timeout': '60s',
      'nginx-client-max-body-size': '1m (nginx default)',
      'nginx-disable-custom-config': 'false',
      'nginx-error-log-path': join(ENV.DOKKU_NGINX_LOG_DIR, 'node-js-app-error.log'),
      'nginx-hsts': 'true',
      'nginx-hsts-max-age': '15724800',
      'nginx-keepalive-timeout': '75s',
      'nginx-lingering-timeout': '5s',
      'nginx-nginx-conf-sigil-path': 'nginx.conf.sigil',
      'nginx-proxy-buffer-size': '4k',
      'nginx-proxy-buffering': 'on',
      'nginx-proxy-buffers': '8 4k',
      'nginx-proxy-busy-buffers-size': '8k',
      'nginx-proxy-read-timeout': '60s',
      'nginx-send-timeout': '60s',
      'nginx-underscore-in-headers': 'off',
      'nginx-x-forwarded-for-value': '$proxy_add_x_forwarded_for',
      'nginx-x-forwarded-port-value': '$server_port',
      'nginx-x-forwarded-proto-value': '$scheme',
      'nginx-x-forwarded-ssl': '',
    });
    expect(Object.keys(r)).toHaveLength(29);
    const text = ok('nginx:report', 'node-js-app');
    expect(text).toMatch(/^ {7}Nginx proxy buffers: +8 4k$/m);
    expect(text).toMatch(/^ {7}Nginx nginx conf sigil path: +nginx\.conf\.sigil$/m);
    expect(ok('nginx:report', 'node-js-app', '--nginx-keepalive-timeout')).toBe('75s\n');
  });

  it("Dokku's examples: app value, global value, and an empty value resetting each", () => {
    expect(ok('nginx:set', 'node-js-app', 'nginx-conf-sigil-path', '.dokku/nginx.conf.sigil')).toContain('Set nginx nginx-conf-sigil-path to .dokku/nginx.conf.sigil for node-js-app');
    expect(ok('nginx:report', 'node-js-app', '--nginx-nginx-conf-sigil-path')).toBe('.dokku/nginx.conf.sigil\n');
    ok('nginx:set', 'node-js-app', 'nginx-conf-sigil-path');
    expect(ok('nginx:report', 'node-js-app', '--nginx-nginx-conf-sigil-path')).toBe('nginx.conf.sigil\n');

    ok('nginx:set', 'node-js-app', 'x-forwarded-for-value', '$http_x_forwarded_for');
    ok('nginx:set', 'node-js-app', 'x-forwarded-port-value', '$http_x_forwarded_port');
    ok('nginx:set', 'node-js-app', 'x-forwarded-proto-value', '$http_x_forwarded_proto');
    ok('nginx:set', 'node-js-app', 'x-forwarded-ssl', 'on');
    ok('nginx:set', 'node-js-app', 'access-log-path', 'off');
    ok('nginx:set', 'node-js-app', 'error-log-path', 'off');
    ok('nginx:set', 'node-js-app', 'bind-address-ipv4', '127.0.0.1');
    ok('nginx:set', 'node-js-app', 'bind-address-ipv6', '::1');
    ok('nginx:set', 'node-js-app', 'disable-custom-config', 'true');
    ok('nginx:set', '--global', 'keepalive-timeout', '30s');
    expect(json('node-js-app')).toMatchObject({
      'nginx-x-forwarded-for-value': '$http_x_forwarded_for',
      'nginx-x-forwarded-ssl': 'on',
      'nginx-access-log-path': 'off',
      'nginx-error-log-path': 'off',
      'nginx-bind-address-ipv4': '127.0.0.1',
      'nginx-bind-address-ipv6': '::1',
      'nginx-disable-custom-config': 'true',
      'nginx-keepalive-timeout': '30s',
    });
    expect(json('other')['nginx-keepalive-timeout']).toBe('30s');
    expect(json('other')['nginx-x-forwarded-ssl']).toBe('');
    ok('nginx:set', 'node-js-app', 'keepalive-timeout', '10s');
    expect(json('node-js-app')['nginx-keepalive-timeout']).toBe('10s');
    ok('nginx:set', '--global', 'keepalive-timeout');
    expect(json('other')['nginx-keepalive-timeout']).toBe('75s');
    const sets = eventRows(root).filter((e) => e.type === 'SettingSet').map((e) => JSON.parse(e.data).key as string);
    expect(sets).toContain('x-forwarded-ssl');
  });

  it('access-logs says so when the log is off', () => {
    const r = dokku('nginx:access-logs', 'node-js-app');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     The access log of node-js-app is off (nginx:set node-js-app access-log-path)\n');
  });

  it('a refused value records nothing', () => {
    const before = eventRows(root).length;
    const r = dokku('nginx:set', 'node-js-app', 'client-body-timeout', '60s;');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(" !     Invalid value for nginx client-body-timeout: '60s;' (expected an nginx time such as 60s, 500ms or 2m)\n");
    expect(eventRows(root).length).toBe(before);
  });
});

describe('nginx:start, nginx:stop, nginx:reload', () => {
  it('run the configured commands as words, without a shell', () => {
    expect(ok('nginx:start')).toBe('-----> Starting nginx\n');
    expect(ok('nginx:stop')).toBe('-----> Stopping nginx\n');
    expect(ok('nginx:reload')).toBe('-----> Reloading nginx\n');
    expect(readFileSync(record, 'utf8')).toBe('start\nwith two words\nstop\nreload\n');
  });

  it("a command that fails is exit 1 with nginx's output", () => {
    const r = runSync(compiled, root, ['nginx:stop'], { env: { ...ENV, DOKKU_NGINX_STOP: `${recorder} fail` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(' !     nginx did not stop (exit 3)');
    const missing = runSync(compiled, root, ['nginx:start'], { env: { ...ENV, DOKKU_NGINX_START: join(root, 'no-such-nginx') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nginx did not start');
    expect(existsSync(join(root, 'no-such-nginx'))).toBe(false);
  });

  it('appear in help under nginx', () => {
    const help = ok('help', 'nginx');
    for (const c of ['nginx:start', 'nginx:stop', 'nginx:reload', 'nginx:set']) expect(help).toContain(c);
  });
});
