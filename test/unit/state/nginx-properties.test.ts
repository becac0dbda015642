import { describe, expect, it } from 'vitest';
import { decideSetting, SETTINGS } from '../../../src/state/settings-schema.ts';
import { renderVhost, type NginxOptions, type VhostInput } from '../../../src/proxy/vhost.ts';
import { nginxOptions, logPaths } from '../../../src/app/routing.ts';
import { loadSettings } from '../../../src/lib/settings.ts';

/** Every nginx:set property of Dokku's table, with a value it takes and values it refuses. */
const CASES: Record<string, { good: string[]; bad: string[] }> = {
  'access-log-format': { good: ['json_combined', 'main'], bad: ['x;', 'a b', "'$remote_addr'", 'x{', 'a\nb'] },
  'access-log-path': { good: ['off', '/var/log/nginx/shop.log'], bad: ['logs/x.log', '/var/log/../../etc/passwd', '/a;b', '/a b', '/a//b'] },
  'bind-address-ipv4': { good: ['127.0.0.1', '0.0.0.0'], bad: ['256.1.1.1', 'localhost', '1.2.3.4;'] },
  'bind-address-ipv6': { good: ['::1', '[::]', '2001:db8::1'], bad: ['1.2.3.4', '[::1', 'x'] },
  'client-body-timeout': { good: ['60s', '500ms', '2m', '30'], bad: ['1x', '1s;', '-1s'] },
  'client-header-timeout': { good: ['60s'], bad: ['60 s'] },
  'client-max-body-size': { good: ['20m', '1024'], bad: ['1m; include x', 'a b'] },
  'disable-custom-config': { good: ['true', 'false'], bad: ['yes'] },
  'error-log-path': { good: ['off', '/var/log/nginx/x-error.log'], bad: ['x.log', '/a/./b'] },
  hsts: { good: ['true', 'false'], bad: ['on'] },
  'hsts-include-subdomains': { good: ['true'], bad: ['1'] },
  'hsts-max-age': { good: ['15724800'], bad: ['1d'] },
  'hsts-preload': { good: ['false'], bad: ['no'] },
  'keepalive-timeout': { good: ['75s'], bad: ['75s 60s'] },
  'lingering-timeout': { good: ['5s'], bad: ['five'] },
  'nginx-conf-sigil-path': { good: ['nginx.conf.sigil', '.dokku/nginx.conf.sigil', 'deploy/web/nginx.conf.sigil'], bad: ['/etc/nginx/nginx.conf', '../x', 'a/../../b', 'a//b', './x'] },
  'proxy-buffer-size': { good: ['4k', '8192'], bad: ['4 k', '4kb'] },
  'proxy-buffering': { good: ['on', 'off'], bad: ['true'] },
  'proxy-buffers': { good: ['8 4k', '16 8k'], bad: ['8', '8 4k;', '8  4k'] },
  'proxy-busy-buffers-size': { good: ['8k'], bad: ['8k;'] },
  'proxy-connect-timeout': { good: ['60s'], bad: ['1s; return 200'] },
  'proxy-read-timeout': { good: ['60s'], bad: ['{'] },
  'proxy-send-timeout': { good: ['60s'], bad: ['a b'] },
  'send-timeout': { good: ['60s'], bad: ['60ss'] },
  'underscore-in-headers': { good: ['on', 'off'], bad: ['yes'] },
  'x-forwarded-for-value': { good: ['$remote_addr', '$http_x_forwarded_for'], bad: ['remote_addr', '$a; include /etc/passwd', '$A'] },
  'x-forwarded-port-value': { good: ['$server_port'], bad: ['443'] },
  'x-forwarded-proto-value': { good: ['$scheme', '$http_x_forwarded_proto'], bad: ['https'] },
  'x-forwarded-ssl': { good: ['on', 'off'], bad: ['true'] },
};

describe('nginx:set properties', () => {
  it("are Dokku's list (nginx-service-command aside: the host's commands are DOKKU_NGINX_* settings)", () => {
    expect(Object.keys(SETTINGS.nginx).sort()).toEqual(Object.keys(CASES).sort());
  });
  for (const [key, { good, bad }] of Object.entries(CASES)) {
    it(`${key}: takes ${good.join(', ')} and refuses the rest`, () => {
      for (const v of good) expect(decideSetting('nginx', key, v, undefined, false), v).toHaveLength(1);
      for (const v of bad) expect(() => decideSetting('nginx', key, v, undefined, false), JSON.stringify(v)).toThrow(new RegExp(`^Invalid (value for nginx ${key}: |path )`)); // repository paths say why in lib/repo-path.ts's words
    });
  }
});

const DEFAULTS = Object.fromEntries(Object.entries(SETTINGS.nginx).map(([k, s]) => [k, s.default]));
const optionsOf = (over: Record<string, string> = {}): NginxOptions => nginxOptions(((_ns: string, key: string) => over[key] ?? DEFAULTS[key]!) as never);
const input = (nginx: NginxOptions, over: Partial<VhostInput> = {}): VhostInput => ({
  app: 'shop',
  appId: 'id-1',
  domains: ['shop.example.com'],
  upstreams: [{ host: '127.0.0.1', port: 40001 }],
  webPort: 5000,
  ports: [{ scheme: 'http', host: 80, container: 5000 }],
  nginx,
  listenAddress: '',
  logs: { access: '/l/shop-access.log', error: '/l/shop-error.log' },
  challengeDir: '/c',
  ...over,
});

describe('the vhost renders each property', () => {
  it('defaults: nginx-default buffers and timeouts, forwarded headers as before', () => {
    const text = renderVhost(input(optionsOf()));
    for (const line of [
      '  client_body_timeout 60s;', '  client_header_timeout 60s;', '  keepalive_timeout 75s;', '  lingering_timeout 5s;', '  send_timeout 60s;',
      '  underscores_in_headers off;', '    proxy_buffer_size 4k;', '    proxy_buffering on;', '    proxy_buffers 8 4k;', '    proxy_busy_buffers_size 8k;',
      '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;', '    proxy_set_header X-Forwarded-Port $server_port;', '    proxy_set_header X-Forwarded-Proto $scheme;',
      '  access_log "/l/shop-access.log";', '  error_log "/l/shop-error.log";',
    ]) expect(text).toContain(`${line}\n`);
    expect(text).not.toContain('X-Forwarded-Ssl');
    expect(text).not.toContain('[::]');
  });
  it('set values', () => {
    const o = optionsOf({
      'client-body-timeout': '10s', 'client-header-timeout': '11s', 'keepalive-timeout': '12s', 'lingering-timeout': '13s', 'send-timeout': '14s',
      'underscore-in-headers': 'on', 'proxy-buffer-size': '16k', 'proxy-buffering': 'off', 'proxy-buffers': '16 16k', 'proxy-busy-buffers-size': '32k',
      'x-forwarded-for-value': '$http_x_forwarded_for', 'x-forwarded-port-value': '$http_x_forwarded_port', 'x-forwarded-proto-value': '$http_x_forwarded_proto',
      'x-forwarded-ssl': 'on', 'access-log-format': 'json_combined', 'bind-address-ipv6': '::1',
    });
    const text = renderVhost(input(o, { listenAddress: '10.0.0.5' }));
    for (const line of [
      '  listen 10.0.0.5:80;', '  listen [::1]:80;',
      '  client_body_timeout 10s;', '  client_header_timeout 11s;', '  keepalive_timeout 12s;', '  lingering_timeout 13s;', '  send_timeout 14s;',
      '  underscores_in_headers on;', '    proxy_buffer_size 16k;', '    proxy_buffering off;', '    proxy_buffers 16 16k;', '    proxy_busy_buffers_size 32k;',
      '    proxy_set_header X-Forwarded-For $http_x_forwarded_for;', '    proxy_set_header X-Forwarded-Port $http_x_forwarded_port;',
      '    proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;', '    proxy_set_header X-Forwarded-Ssl on;',
      '  access_log "/l/shop-access.log" json_combined;',
    ]) expect(text).toContain(`${line}\n`);
  });
  it('log paths: the default under the log dir, a set path, or off', () => {
    const settings = loadSettings({ DOKKU_NGINX_LOG_DIR: '/var/log/nginx' });
    const get = (over: Record<string, string>) => ((_ns: string, key: string) => over[key] ?? DEFAULTS[key]!) as never;
    expect(logPaths(settings, 'shop', get({}))).toEqual({ access: '/var/log/nginx/shop-access.log', error: '/var/log/nginx/shop-error.log' });
    expect(logPaths(settings, 'shop', get({ 'access-log-path': '/srv/logs/a.log', 'error-log-path': 'off' }))).toEqual({ access: '/srv/logs/a.log', error: 'off' });
    const text = renderVhost(input(optionsOf(), { logs: { access: 'off', error: 'off' } }));
    expect(text).toContain('  access_log off;\n  error_log /dev/null crit;\n');
  });
});
