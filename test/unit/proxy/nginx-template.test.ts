import { describe, expect, it } from 'vitest';
import { effectivePorts } from '../../../src/lib/ports.ts';
import { renderTemplate, TemplateError } from '../../../src/proxy/nginx-template.ts';
import { parseNginx, printNginx } from '../../../src/proxy/template-policy.ts';
import { GENERATION_PATH, renderVhost, templateVars, type VhostInput } from '../../../src/proxy/vhost.ts';

const base = (over: Partial<VhostInput> = {}): VhostInput => ({
  app: 'shop',
  appId: 'id-1',
  domains: ['shop.example.com', 'www.shop.example.com'],
  upstreams: [{ host: '127.0.0.1', port: 40001 }, { host: '127.0.0.1', port: 40002 }],
  webPort: 5000,
  ports: [{ scheme: 'http', host: 80, container: 5000 }],
  nginx: { clientMaxBodySize: '', proxyReadTimeout: '60s', proxyConnectTimeout: '60s', proxySendTimeout: '60s', hsts: true, hstsMaxAge: 15724800, hstsIncludeSubdomains: true, hstsPreload: false },
  listenAddress: '127.0.0.1',
  logs: { access: '/var/log/nginx/shop-access.log', error: '/var/log/nginx/shop-error.log' },
  challengeDir: '/home/dokku/letsencrypt/challenges',
  ...over,
});

/** A template in the shape of Dokku's documented ones, adding one response header. */
const GOOD = `
server {
  listen {{ .NGINX_BIND_ADDRESS_IPV4 }}:{{ .PROXY_PORT }};
  server_name {{ .NOSSL_SERVER_NAME }};
  add_header X-Served-By "{{ .APP }}" always;
  location / {
    proxy_pass http://{{ .UPSTREAM }};
    proxy_set_header Host $http_host;
    proxy_read_timeout {{ .PROXY_READ_TIMEOUT }};
  }
}
`;

const withTemplate = (template: string, over: Partial<VhostInput> = {}) => renderVhost(base({ template, ...over }));
const refused = (template: string, pattern: RegExp, over: Partial<VhostInput> = {}) => {
  expect(() => withTemplate(template, over)).toThrow(TemplateError);
  expect(() => withTemplate(template, over)).toThrow(pattern);
};

describe('renderTemplate', () => {
  const vars = { APP: 'shop', LIST: ['a:1', 'b:2'], EMPTY: '', YES: 'true' };
  it('substitutes variables, ranges over lists and branches on if/else', () => {
    expect(renderTemplate('app {{ .APP }};', vars)).toBe('app shop;');
    expect(renderTemplate('{{ range .LIST }}server {{ . }};{{ end }}', vars)).toBe('server a:1;server b:2;');
    expect(renderTemplate('{{ if .YES }}on{{ else }}off{{ end }}', vars)).toBe('on');
    expect(renderTemplate('{{ if .EMPTY }}on{{ else }}off{{ end }}', vars)).toBe('off');
    expect(renderTemplate('a  {{- .APP -}}  b', vars)).toBe('ashopb');
  });
  it('refuses unknown variables, functions, pipes and unbalanced blocks', () => {
    expect(() => renderTemplate('{{ .DOKKU_ROOT }}', vars)).toThrow(/unknown variable \.DOKKU_ROOT/);
    expect(() => renderTemplate('{{ var "SECRET" }}', vars)).toThrow(/unsupported action/);
    expect(() => renderTemplate('{{ .LIST | split " " }}', vars)).toThrow(/unsupported action/);
    expect(() => renderTemplate('{{ $x := .APP }}', vars)).toThrow(/unsupported action/);
    expect(() => renderTemplate('{{ range .LIST }}x', vars)).toThrow(/without \{\{ end \}\}/);
    expect(() => renderTemplate('{{ end }}', vars)).toThrow(/without a matching/);
    expect(() => renderTemplate('{{ .APP', vars)).toThrow(/unterminated/);
    expect(() => renderTemplate('{{ . }}', vars)).toThrow(/outside a range/);
  });
});

describe('parseNginx', () => {
  it('reads words as nginx does: escapes, # inside a word, quotes, comments', () => {
    const parsed = parseNginx('location ~ \\.php$ { add_header X a\\;b; add_header Y c#d; # note\n return 200 "x; }"; }');
    expect(parsed[0]!.args).toEqual(['~', '\\.php$']);
    expect(parsed[0]!.block!.map((d) => d.args)).toEqual([['X', 'a\\;b'], ['Y', 'c#d'], ['200', '"x; }"']]);
    // What is printed is what was checked: reading it again gives the same directives.
    expect(printNginx(parseNginx(printNginx(parsed).join('\n')))).toEqual(printNginx(parsed));
    expect(() => parseNginx('add_header X a\\')).toThrow(/backslash ending a line/);
  });
});

describe('templateVars', () => {
  it('names the app, its domains, ports and listeners, and no server path', () => {
    const v = templateVars(base());
    expect(v).toMatchObject({ APP: 'shop', NOSSL_SERVER_NAME: 'shop.example.com www.shop.example.com', PROXY_PORT: '80', SSL_INUSE: '', UPSTREAM: 'dokku-shop-5000' });
    expect(v.DOKKU_APP_WEB_LISTENERS).toEqual(['127.0.0.1:40001', '127.0.0.1:40002']);
    expect(Object.values(v).flat().some((x) => x.includes('/home/dokku') || x.includes('/var/log'))).toBe(false);
  });
});

describe('a vhost from the app template', () => {
  it("keeps the template's own directives and adds dokku's upstream, logs, probe and challenge", () => {
    const text = withTemplate(GOOD);
    expect(text).toContain("# from the app's nginx.conf.sigil");
    expect(text).toContain('upstream dokku-shop-5000 {\n  server 127.0.0.1:40001;\n  server 127.0.0.1:40002;');
    expect(text).toContain('  listen 127.0.0.1:80;\n');
    expect(text).toContain('  add_header X-Served-By "shop" always;');
    expect(text).toContain('    proxy_pass http://dokku-shop-5000;');
    expect(text).toContain('  access_log "/var/log/nginx/shop-access.log";');
    expect(text).toContain(`  location = ${GENERATION_PATH} {`);
    expect(text).toContain('  location ^~ /.well-known/acme-challenge/ {');
  });

  it('an app with no running web process gets dokku vhost (503), not the template', () => {
    const text = withTemplate(GOOD, { upstreams: [] });
    expect(text).not.toContain('X-Served-By');
    expect(text).toContain('return 503');
  });

  it('an ssl server gets the app certificate from dokku, never from the template', () => {
    const ports = effectivePorts([], 5000, { http: 80, https: 443 }, true);
    const tls = { certificate: '/home/dokku/certs/id-1/server.crt', key: '/home/dokku/certs/id-1/server.key' };
    const t = `${GOOD}\nserver { listen {{ .PROXY_SSL_PORT }} ssl; server_name {{ .SSL_SERVER_NAME }}; location / { proxy_pass http://{{ .UPSTREAM }}; } }`;
    const text = withTemplate(t, { ports, tls });
    expect(text).toContain('  listen 443 ssl;\n  server_name shop.example.com www.shop.example.com;');
    expect(text).toContain(`  ssl_certificate "${tls.certificate}";`);
    refused('server { listen 443 ssl; server_name shop.example.com; }', /listen on port 443 .*proxy ports are 80/);
    refused('server { listen 80 ssl; server_name shop.example.com; }', /no https port 80 with a certificate/, { ports, tls });
  });
});

describe('hostile templates are refused', () => {
  const server = (body: string) => `server { listen 80; server_name shop.example.com; ${body} }`;
  it('reading or writing server files', () => {
    refused(server('include /etc/nginx/*.conf;'), /directive include is not allowed/);
    refused(server('location / { root /etc; }'), /directive root is not allowed/);
    refused(server('location /x { alias /home/dokku/; }'), /directive alias is not allowed/);
    refused(server('access_log /home/dokku/other/nginx.conf;'), /directive access_log is not allowed/);
    refused(server('error_log /tmp/x;'), /directive error_log is not allowed/);
    refused(server('ssl_certificate /home/dokku/certs/other/server.crt;'), /directive ssl_certificate is not allowed/);
    refused(server('auth_basic_user_file /etc/shadow;'), /not allowed/);
    refused(server('client_body_temp_path /home/dokku;'), /not allowed/);
  });
  it('loading code', () => {
    refused(`load_module modules/evil.so;\n${server('')}`, /only server blocks/);
    refused(server("location / { content_by_lua 'os.execute(1)'; }"), /content_by_lua is not allowed/);
    refused(server('location / { content_by_lua_block { os.execute("id") } }'), /not ended with ;|content_by_lua_block is not allowed/);
    refused(server('location / { perl Evil::handler; }'), /perl is not allowed/);
    refused(server('location / { js_content evil.run; }'), /js_content is not allowed/);
  });
  it("taking other apps' hosts, ports or upstreams", () => {
    refused('server { listen 80; server_name other.example.com; }', /not one of the app's domains/);
    refused('server { listen 80; server_name ~^.*$; }', /not one of the app's domains/);
    refused('server { listen 80 default_server; server_name shop.example.com; }', /only ssl and http2/);
    refused('server { listen 80; }', /without server_name/);
    refused('server { listen 22; server_name shop.example.com; }', /port 22/);
    refused(server('location / { proxy_pass http://dokku-other-5000; }'), /only to the app's own upstream/);
    refused(server('location / { proxy_pass http://127.0.0.1:2375; }'), /only to the app's own upstream/);
    refused(server('location / { proxy_pass http://$host; }'), /only to the app's own upstream/);
    refused('upstream dokku-other-5000 { server 127.0.0.1:1; }\n' + server(''), /only server blocks/);
    refused('map $a $b { default 1; }\n' + server(''), /only server blocks/);
  });
  it('text that is not nginx, or leaves the reload probe unanswered', () => {
    refused(server('add_header X "unterminated;'), /unterminated quote/);
    refused('server { listen 80; server_name shop.example.com;', /closing \}/);
    refused('}', /unexpected \}/);
    refused('', /no server block/);
    refused('server { listen 80; server_name www.shop.example.com; }', /no server for shop.example.com on port 80/);
  });
});
