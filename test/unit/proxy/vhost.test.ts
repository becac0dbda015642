import { describe, expect, it } from 'vitest';
import { effectivePorts, parsePortMapping } from '../../../src/lib/ports.ts';
import { GENERATION_PATH, generationProbe, planServers, renderedVhost, renderGlobalInclude, renderVhost, vhostHeader, type VhostInput } from '../../../src/proxy/vhost.ts';

const input = (over: Partial<VhostInput> = {}): VhostInput => ({
  app: 'shop',
  appId: 'id-1',
  domains: ['shop.example.com', '*.shop.example.com'],
  upstreams: [{ host: '127.0.0.1', port: 40001 }, { host: '127.0.0.1', port: 40002 }],
  webPort: 5000,
  ports: [{ scheme: 'http', host: 80, container: 5000 }],
  nginx: { clientMaxBodySize: '', proxyReadTimeout: '60s', proxyConnectTimeout: '60s', proxySendTimeout: '60s', hsts: true, hstsMaxAge: 15724800, hstsIncludeSubdomains: true, hstsPreload: false },
  listenAddress: '',
  logs: { access: '/var/log/nginx/shop-access.log', error: '/var/log/nginx/shop-error.log' },
  challengeDir: '/home/dokku/letsencrypt/challenges',
  ...over,
});

describe('renderVhost', () => {
  it('proxies every upstream of the app with websocket and forwarded headers and per-app logs', () => {
    const text = renderVhost(input());
    expect(text.split('\n')[0]).toBe(vhostHeader('shop', 'id-1'));
    expect(text).toContain('upstream dokku-shop-5000 {\n  server 127.0.0.1:40001;\n  server 127.0.0.1:40002;\n  keepalive 32;\n}');
    expect(text).toContain('  listen 80;\n  server_name shop.example.com *.shop.example.com;');
    for (const d of [
      'proxy_pass http://dokku-shop-5000;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $dokku_connection_upgrade;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_set_header X-Forwarded-Port $server_port;',
      'proxy_read_timeout 60s;',
    ]) expect(text).toContain(`    ${d}\n`);
    expect(text).toContain('  access_log "/var/log/nginx/shop-access.log";\n  error_log "/var/log/nginx/shop-error.log";');
    expect(text).toContain('  location ^~ /.well-known/acme-challenge/ {\n    alias "/home/dokku/letsencrypt/challenges/";');
    expect(text).not.toContain('ssl');
    expect(text).not.toContain('client_max_body_size');
  });

  it('with TLS: http redirects to https (keeping a non-standard port), https carries the certificate and HSTS', () => {
    const ports = effectivePorts([], 5000, { http: 8080, https: 8443 }, true);
    const text = renderVhost(input({ ports, tls: { certificate: '/c/server.crt', key: '/c/server.key' }, listenAddress: '127.0.0.1' }));
    expect(text).toContain('  listen 127.0.0.1:8080;');
    expect(text).toContain('  listen 127.0.0.1:8443 ssl http2;');
    expect(text).toContain('    return 301 https://$host:8443$request_uri;');
    expect(text).toContain('  ssl_certificate "/c/server.crt";\n  ssl_certificate_key "/c/server.key";');
    expect(text).toContain('  add_header Strict-Transport-Security "max-age=15724800; includeSubDomains" always;');
    // The challenge is answered on http only, before the redirect.
    expect(text.indexOf('acme-challenge')).toBeLessThan(text.indexOf('return 301'));
    expect(text.match(/acme-challenge/g)).toHaveLength(1);
    const standard = renderVhost(input({ ports: effectivePorts([], 5000, { http: 80, https: 443 }, true), tls: { certificate: '/c', key: '/k' } }));
    expect(standard).toContain('return 301 https://$host$request_uri;');
  });

  it('HSTS follows its settings and is off without TLS', () => {
    const tls = { certificate: '/c', key: '/k' };
    const ports = effectivePorts([], 5000, { http: 80, https: 443 }, true);
    const nginx = { ...input().nginx, hstsIncludeSubdomains: false, hstsPreload: true, hstsMaxAge: 60 };
    expect(renderVhost(input({ ports, tls, nginx }))).toContain('"max-age=60; preload"');
    expect(renderVhost(input({ ports, tls, nginx: { ...nginx, hsts: false } }))).not.toContain('Strict-Transport-Security');
  });

  it('without upstreams (stopped) answers 503 and declares no empty upstream block', () => {
    const text = renderVhost(input({ upstreams: [] }));
    expect(text).not.toContain('upstream ');
    expect(text).toContain('return 503 "shop has no running web process\n";');
  });

  it('leaves out mappings it cannot serve and says why', () => {
    const ports = [parsePortMapping('http:80:5000'), parsePortMapping('http:81:3000'), parsePortMapping('https:443:5000')];
    const { servers, skipped } = planServers({ ports, webPort: 5000 });
    expect(servers).toEqual([{ scheme: 'http', port: 80, redirect: false, container: 5000 }]);
    expect(skipped).toEqual(['http:81:3000: the web process listens on 5000, not 3000', 'https:443:5000: no certificate (certs:add, certs:generate or letsencrypt:enable)']);
    expect(renderVhost(input({ ports }))).toContain('# not routed: http:81:3000');
  });

  it('quotes paths so a space or quote cannot end a directive', () => {
    const text = renderVhost(input({ logs: { access: '/var/log/a "b";.log', error: '/e' } }));
    expect(text).toContain('access_log "/var/log/a \\"b\\";.log";');
  });

  it('answers its own generation, which changes with the text and only with it', () => {
    const a = renderedVhost(input());
    expect(a.text).toContain(`location = ${GENERATION_PATH} {\n    default_type text/plain;\n    return 200 "${a.generation}\\n";`);
    expect(renderedVhost(input()).generation).toBe(a.generation);
    expect(renderedVhost(input({ upstreams: [{ host: '127.0.0.1', port: 1 }] })).generation).not.toBe(a.generation);
    expect(generationProbe(input())).toEqual({ scheme: 'http', port: 80, host: 'shop.example.com' });
    expect(generationProbe(input({ domains: ['*.x.io'] }))?.host).toBe('dokku-probe.x.io');
  });

  it('the global include sizes the server-name hash, maps the upgrade header and includes every app vhost', () => {
    expect(renderGlobalInclude('/home/dokku/')).toBe(
      "# dokku: routes to every app; rewritten by dokku\nserver_names_hash_bucket_size 512;\nserver_names_hash_max_size 4096;\nmap $http_upgrade $dokku_connection_upgrade {\n  default upgrade;\n  '' '';\n}\ninclude \"/home/dokku/*/nginx.conf\";\n",
    );
  });
});

describe('effectivePorts', () => {
  it('defaults to http on the proxy port to the web port (EXPOSE or 5000), with an https twin under TLS', () => {
    expect(effectivePorts([], 7000, { http: 80, https: 443 }, false)).toEqual([{ scheme: 'http', host: 80, container: 7000 }]);
    expect(effectivePorts([], 5000, { http: 80, https: 443 }, true)).toEqual([
      { scheme: 'http', host: 80, container: 5000 },
      { scheme: 'https', host: 443, container: 5000 },
    ]);
    const own = [parsePortMapping('http:8080:5000'), parsePortMapping('https:8443:5000')];
    expect(effectivePorts(own, 5000, { http: 80, https: 443 }, true)).toEqual(own);
  });

  it('an image that EXPOSEs several tcp ports gets http:P:P for each (Dokku\'s rule); one EXPOSE keeps http:80:P; own mappings win', () => {
    expect(effectivePorts([], 3000, { http: 80, https: 443 }, false, [3000, 3003])).toEqual([
      { scheme: 'http', host: 3000, container: 3000 },
      { scheme: 'http', host: 3003, container: 3003 },
    ]);
    expect(effectivePorts([], 3000, { http: 80, https: 443 }, false, [3000])).toEqual([{ scheme: 'http', host: 80, container: 3000 }]);
    expect(effectivePorts([], 3000, { http: 80, https: 443 }, false, [])).toEqual([{ scheme: 'http', host: 80, container: 3000 }]);
    const own = [parsePortMapping('http:80:3003')];
    expect(effectivePorts(own, 3000, { http: 80, https: 443 }, false, [3000, 3003])).toEqual(own);
  });

  it('renders one upstream and one server per EXPOSEd port, each to that port\'s published address', () => {
    const ports = [parsePortMapping('http:3000:3000'), parsePortMapping('http:3003:3003'), parsePortMapping('http:3009:3009')];
    const text = renderVhost(
      input({
        webPort: 3000,
        extraPorts: [3003],
        ports,
        upstreams: [{ host: '127.0.0.1', port: 40001, ports: { '3003': 40011 } }, { host: '127.0.0.1', port: 40002, ports: { '3003': 40012 } }],
      }),
    );
    expect(text).toContain('upstream dokku-shop-3000 {\n  server 127.0.0.1:40001;\n  server 127.0.0.1:40002;\n  keepalive 32;\n}');
    expect(text).toContain('upstream dokku-shop-3003 {\n  server 127.0.0.1:40011;\n  server 127.0.0.1:40012;\n  keepalive 32;\n}');
    const servers = text.split('\nserver {').slice(1);
    expect(servers).toHaveLength(2);
    expect(servers[0]).toContain('listen 3000;');
    expect(servers[0]).toContain('proxy_pass http://dokku-shop-3000;');
    expect(servers[1]).toContain('listen 3003;');
    expect(servers[1]).toContain('proxy_pass http://dokku-shop-3003;');
    expect(text).toContain('# not routed: http:3009:3009: the web process listens on 3000, 3003, not 3009');
  });

  it('a port whose upstreams lack its published address answers 503 instead of pointing nowhere', () => {
    const text = renderVhost(input({ webPort: 3000, extraPorts: [3003], ports: [parsePortMapping('http:3003:3003')], upstreams: [{ host: '127.0.0.1', port: 40001 }] }));
    expect(text).not.toContain('upstream dokku-shop-3003');
    expect(text).toContain('return 503');
  });

  it('parses scheme:host:container and refuses anything else', () => {
    expect(parsePortMapping('https:443:5000')).toEqual({ scheme: 'https', host: 443, container: 5000 });
    for (const bad of ['http:80', 'tcp:80:5000', 'http:0:5000', 'http:80:70000', 'http:80:5000:1', 'http: 80:5000', 'http:-1:5000']) {
      expect(() => parsePortMapping(bad), bad).toThrow(/Invalid port mapping/);
    }
  });
});
