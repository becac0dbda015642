import { createHash } from 'node:crypto';
import type { PortMapping } from '../lib/ports.ts';
import { renderTemplate, TemplateError, type TemplateVars } from './nginx-template.ts';
import { checkTemplate, parseNginx, printNginx, type Directive } from './template-policy.ts';

/**
 * An app's nginx vhost as text, from plain data: no files, no processes. The apply layer writes
 * what this returns; tests read it.
 */

export interface NginxOptions {
  /** nginx size, e.g. `1m`; empty for nginx's default. */
  clientMaxBodySize: string;
  /** nginx time, e.g. `60s`. */
  proxyReadTimeout: string;
  proxyConnectTimeout: string;
  proxySendTimeout: string;
  hsts: boolean;
  hstsMaxAge: number;
  hstsIncludeSubdomains: boolean;
  hstsPreload: boolean;
  /** The rest of Dokku's nginx:set properties, each a validated token; absent ones are nginx's default. */
  clientBodyTimeout?: string;
  clientHeaderTimeout?: string;
  keepaliveTimeout?: string;
  lingeringTimeout?: string;
  sendTimeout?: string;
  underscoreInHeaders?: string;
  proxyBufferSize?: string;
  proxyBuffering?: string;
  proxyBuffers?: string;
  proxyBusyBuffersSize?: string;
  xForwardedFor?: string;
  xForwardedPort?: string;
  xForwardedProto?: string;
  /** `on`/`off` sends X-Forwarded-Ssl; empty sends none. */
  xForwardedSsl?: string;
  /** A log_format name for the access log; empty is nginx's `combined`. */
  accessLogFormat?: string;
  /** Also listen on this IPv6 address (e.g. `[::]`); empty: IPv4 only. */
  bindAddressIpv6?: string;
}

export interface VhostInput {
  app: string;
  appId: string;
  /** Hostnames and wildcards this app answers to (already validated). */
  domains: string[];
  /** Loopback addresses of the healthy web containers; none means the app answers 503. */
  upstreams: Array<{ host: string; port: number; ports?: Record<string, number> }>;
  /** Container port the web process listens on (the one the scheduler publishes). */
  webPort: number;
  /** The image's other EXPOSEd ports, published too (each upstream's `ports`), so mappings may name them. */
  extraPorts?: number[];
  ports: PortMapping[];
  tls?: { certificate: string; key: string };
  nginx: NginxOptions;
  /** Address to bind, e.g. 127.0.0.1; empty binds every address. */
  listenAddress: string;
  logs: { access: string; error: string };
  /** Directory HTTP-01 tokens are served from. */
  challengeDir: string;
  /** `$DOKKU_ROOT/<app>/nginx.conf.d`: its `*.conf` are included in every server block, as Dokku's. */
  includeDir?: string;
  /** The app's own nginx.conf.sigil, used instead of dokku's vhost while a web process runs. */
  template?: string;
}

export const VHOST_HEADER = '# dokku vhost';

/** The first line of every vhost: names the app by id, so a stale file after a rename is recognisable. */
export const vhostHeader = (app: string, appId: string): string => `${VHOST_HEADER} for ${app} (app id ${appId}); rewritten by dokku on every change`;

/** A string as an nginx quoted parameter. */
export const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export const upstreamName = (app: string, port: number): string => `dokku-${app}-${port}`;

export interface RenderedServer {
  scheme: 'http' | 'https';
  port: number;
  redirect: boolean;
  /** Container port it proxies to. */
  container: number;
}

/** Which servers a vhost has, and why a mapping was left out. Shared by the renderer and `urls`. */
export function planServers(input: Pick<VhostInput, 'ports' | 'tls' | 'webPort' | 'extraPorts'>): { servers: RenderedServer[]; skipped: string[] } {
  const servers: RenderedServer[] = [];
  const skipped: string[] = [];
  const seen = new Set<number>();
  for (const m of input.ports) {
    const label = `${m.scheme}:${m.host}:${m.container}`;
    if (m.container !== input.webPort && !input.extraPorts?.includes(m.container)) {
      const exposed = [input.webPort, ...(input.extraPorts ?? [])].join(', ');
      skipped.push(`${label}: the web process listens on ${exposed}, not ${m.container}`);
      continue;
    }
    if (m.scheme === 'https' && !input.tls) {
      skipped.push(`${label}: no certificate (certs:add, certs:generate or letsencrypt:enable)`);
      continue;
    }
    if (seen.has(m.host)) {
      skipped.push(`${label}: port ${m.host} is already mapped`);
      continue;
    }
    seen.add(m.host);
    servers.push({ scheme: m.scheme, port: m.host, redirect: false, container: m.container });
  }
  if (servers.some((s) => s.scheme === 'https')) for (const s of servers) if (s.scheme === 'http') s.redirect = true;
  return { servers, skipped };
}

/** Path every server of a vhost answers with the vhost's generation, so a reload can be awaited. */
export const GENERATION_PATH = '/.well-known/dokku/vhost-generation';
const GENERATION_PLACEHOLDER = '@@generation@@';

/** Which vhost text nginx is serving: a hash of it, stable for the same text. */
export function vhostGeneration(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function renderVhost(input: VhostInput): string {
  return renderedVhost(input).text;
}

/** The vhost and its generation (what GENERATION_PATH answers once nginx serves it). */
export function renderedVhost(input: VhostInput): { text: string; generation: string } {
  const draft = renderVhostText(input);
  const generation = vhostGeneration(draft);
  return { text: draft.split(GENERATION_PLACEHOLDER).join(generation), generation };
}

/** Where to ask nginx which generation of this vhost it serves: the first server, by its first name. */
export function generationProbe(input: VhostInput): { scheme: 'http' | 'https'; port: number; host: string } | undefined {
  const { servers } = planServers(input);
  const server = servers.find((s) => s.scheme === 'http') ?? servers[0];
  const name = input.domains[0];
  if (!server || !name) return undefined;
  // `_` (vhosts off) answers any name on its own port; a Host header still has to be a hostname.
  const host = name === '_' ? 'localhost' : name.startsWith('*.') ? `dokku-probe${name.slice(1)}` : name;
  return { scheme: server.scheme, port: server.port, host };
}

function renderVhostText(input: VhostInput): string {
  if (input.template !== undefined && input.upstreams.length > 0) return renderFromTemplate(input, input.template);
  const { servers, skipped } = planServers(input);
  const httpsPort = servers.find((s) => s.scheme === 'https')?.port;
  const lines: string[] = [vhostHeader(input.app, input.appId)];
  for (const why of skipped) lines.push(`# not routed: ${why}`);
  // One upstream per container port a server routes to: the web port's published port, or another EXPOSEd port's.
  const members = (container: number) =>
    input.upstreams.flatMap((u) => {
      const port = container === input.webPort ? u.port : u.ports?.[String(container)];
      return port === undefined ? [] : [`${u.host}:${port}`];
    });
  for (const container of [...new Set(servers.filter((s) => !s.redirect).map((s) => s.container))]) {
    const addresses = members(container);
    if (addresses.length === 0) continue;
    lines.push(`upstream ${upstreamName(input.app, container)} {`);
    for (const a of addresses) lines.push(`  server ${a};`);
    lines.push('  keepalive 32;', '}');
  }
  for (const s of servers) {
    lines.push('', 'server {');
    const listen = input.listenAddress ? `${input.listenAddress}:${s.port}` : String(s.port);
    lines.push(`  listen ${listen}${s.scheme === 'https' ? ' ssl http2' : ''};`);
    if (input.nginx.bindAddressIpv6) lines.push(`  listen ${input.nginx.bindAddressIpv6}:${s.port}${s.scheme === 'https' ? ' ssl http2' : ''};`);
    lines.push(`  server_name ${input.domains.join(' ')};`);
    lines.push(...logDirectives(input).map((d) => `  ${d}`));
    lines.push(...serverDirectives(input.nginx).map((d) => `  ${d}`));
    if (s.scheme === 'https' && input.tls) {
      lines.push(`  ssl_certificate ${quote(input.tls.certificate)};`, `  ssl_certificate_key ${quote(input.tls.key)};`);
      lines.push('  ssl_protocols TLSv1.2 TLSv1.3;', '  ssl_prefer_server_ciphers off;', '  ssl_session_cache shared:dokku_ssl:10m;');
      const hsts = hstsValue(input.nginx);
      if (hsts) lines.push(`  add_header Strict-Transport-Security ${quote(hsts)} always;`);
    }
    if (input.nginx.clientMaxBodySize) lines.push(`  client_max_body_size ${input.nginx.clientMaxBodySize};`);
    lines.push(`  add_header X-Dokku-Generation "${GENERATION_PLACEHOLDER}" always;`);
    // As Dokku's template: plugins (maintenance, auth, redirects) drop files here; none is fine.
    if (input.includeDir) lines.push(`  include ${quote(`${input.includeDir.replace(/\/$/, '')}/*.conf`)};`);
    lines.push(`  location = ${GENERATION_PATH} {`, '    default_type text/plain;', `    return 200 "${GENERATION_PLACEHOLDER}\\n";`, '  }');
    if (s.scheme === 'http') {
      lines.push('  location ^~ /.well-known/acme-challenge/ {', `    alias ${quote(`${input.challengeDir.replace(/\/$/, '')}/`)};`, '    default_type text/plain;', '  }');
    }
    if (s.redirect) {
      lines.push('  location / {', `    return 301 https://$host${httpsPort === 443 ? '' : `:${httpsPort}`}$request_uri;`, '  }');
    } else if (members(s.container).length === 0) {
      lines.push('  location / {', `    return 503 ${quote(`${input.app} has no running web process\n`)};`, '  }');
    } else {
      lines.push('  location / {', ...proxyDirectives(upstreamName(input.app, s.container), input.nginx).map((d) => `    ${d}`), '  }');
    }
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function proxyDirectives(upstream: string, o: NginxOptions): string[] {
  return [
    `proxy_pass http://${upstream};`,
    'proxy_http_version 1.1;',
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $dokku_connection_upgrade;',
    'proxy_set_header Host $http_host;',
    'proxy_set_header X-Real-IP $remote_addr;',
    `proxy_set_header X-Forwarded-For ${o.xForwardedFor || '$proxy_add_x_forwarded_for'};`,
    `proxy_set_header X-Forwarded-Proto ${o.xForwardedProto || '$scheme'};`,
    'proxy_set_header X-Forwarded-Host $host;',
    `proxy_set_header X-Forwarded-Port ${o.xForwardedPort || '$server_port'};`,
    ...(o.xForwardedSsl ? [`proxy_set_header X-Forwarded-Ssl ${o.xForwardedSsl};`] : []),
    'proxy_set_header X-Request-Start $msec;',
    `proxy_connect_timeout ${o.proxyConnectTimeout};`,
    `proxy_read_timeout ${o.proxyReadTimeout};`,
    `proxy_send_timeout ${o.proxySendTimeout};`,
    ...optional([
      ['proxy_buffer_size', o.proxyBufferSize],
      ['proxy_buffering', o.proxyBuffering],
      ['proxy_buffers', o.proxyBuffers],
      ['proxy_busy_buffers_size', o.proxyBusyBuffersSize],
    ]),
  ];
}

const optional = (pairs: Array<[string, string | undefined]>): string[] => pairs.flatMap(([d, v]) => (v ? [`${d} ${v};`] : []));

/** Server-level timeouts and header rules from nginx:set. */
function serverDirectives(o: NginxOptions): string[] {
  return optional([
    ['client_body_timeout', o.clientBodyTimeout],
    ['client_header_timeout', o.clientHeaderTimeout],
    ['keepalive_timeout', o.keepaliveTimeout],
    ['lingering_timeout', o.lingeringTimeout],
    ['send_timeout', o.sendTimeout],
    ['underscores_in_headers', o.underscoreInHeaders],
  ]);
}

/** The app's access and error logs; `off` turns one off (error_log has no off: only crit reaches /dev/null). */
function logDirectives(input: Pick<VhostInput, 'logs' | 'nginx'>): string[] {
  const { access, error } = input.logs;
  const format = input.nginx.accessLogFormat ? ` ${input.nginx.accessLogFormat}` : '';
  return [
    access === 'off' ? 'access_log off;' : `access_log ${quote(access)}${format};`,
    error === 'off' ? 'error_log /dev/null crit;' : `error_log ${quote(error)};`,
  ];
}

function hstsValue(o: NginxOptions): string | undefined {
  if (!o.hsts) return undefined;
  return [`max-age=${o.hstsMaxAge}`, ...(o.hstsIncludeSubdomains ? ['includeSubDomains'] : []), ...(o.hstsPreload ? ['preload'] : [])].join('; ');
}

/**
 * What an app's template is given (README "Custom nginx template"): what dokku knows about the
 * app's routing, already validated, and no server path.
 */
export function templateVars(input: VhostInput): TemplateVars {
  const { servers } = planServers(input);
  const http = servers.find((s) => s.scheme === 'http');
  const https = servers.find((s) => s.scheme === 'https');
  const o = input.nginx;
  return {
    APP: input.app,
    NOSSL_SERVER_NAME: input.domains.join(' '),
    SSL_SERVER_NAME: input.tls ? input.domains.join(' ') : '',
    SSL_INUSE: input.tls ? 'true' : '',
    PROXY_PORT: http ? String(http.port) : '',
    PROXY_SSL_PORT: https ? String(https.port) : '',
    PROXY_PORT_MAP: input.ports.map((m) => `${m.scheme}:${m.host}:${m.container}`),
    PROXY_UPSTREAM_PORTS: [String(input.webPort)],
    DOKKU_APP_WEB_LISTENERS: input.upstreams.map((u) => `${u.host}:${u.port}`),
    UPSTREAM: upstreamName(input.app, input.webPort),
    NGINX_BIND_ADDRESS_IPV4: input.listenAddress,
    NGINX_BIND_ADDRESS_IPV6: o.bindAddressIpv6 ?? '',
    CLIENT_MAX_BODY_SIZE: o.clientMaxBodySize,
    PROXY_READ_TIMEOUT: o.proxyReadTimeout,
    PROXY_CONNECT_TIMEOUT: o.proxyConnectTimeout,
    PROXY_SEND_TIMEOUT: o.proxySendTimeout,
    PROXY_X_FORWARDED_FOR: o.xForwardedFor || '$proxy_add_x_forwarded_for',
    PROXY_X_FORWARDED_PORT: o.xForwardedPort || '$server_port',
    PROXY_X_FORWARDED_PROTO: o.xForwardedProto || '$scheme',
  };
}

const directive = (name: string, ...args: string[]): Directive => ({ name, args, line: 0 });
const block = (name: string, args: string[], body: Directive[]): Directive => ({ name, args, block: body, line: 0 });

/**
 * The vhost from the app's template: rendered, held to the template policy, then given what dokku
 * keeps for itself in every server (logs, certificate, the reload probe, the ACME challenge) and
 * dokku's upstream. A template the policy refuses throws a TemplateError.
 */
function renderFromTemplate(input: VhostInput, template: string): string {
  const { servers: planned } = planServers(input);
  const upstream = upstreamName(input.app, input.webPort);
  const servers = checkTemplate(parseNginx(renderTemplate(template, templateVars(input))), {
    app: input.app,
    domains: input.domains,
    ports: new Map(planned.map((s) => [s.port, s.scheme])),
    tls: input.tls !== undefined,
    upstreams: [upstream],
  });
  const probe = generationProbe(input);
  const probeName = input.domains[0] ?? '';
  if (probe && !servers.some((s) => s.ports.includes(probe.port) && s.names.includes(probeName))) {
    throw new TemplateError(`no server for ${probeName} on port ${probe.port}: dokku asks it which configuration nginx serves after a reload`);
  }
  const lines = [vhostHeader(input.app, input.appId), "# from the app's nginx.conf.sigil", `upstream ${upstream} {`];
  for (const u of input.upstreams) lines.push(`  server ${u.host}:${u.port};`);
  lines.push('  keepalive 32;', '}');
  for (const s of servers) {
    const own: Directive[] = logDirectives(input).flatMap((d) => parseNginx(d));
    if (s.ssl && input.tls) own.push(directive('ssl_certificate', quote(input.tls.certificate)), directive('ssl_certificate_key', quote(input.tls.key)));
    own.push(block('location', ['=', GENERATION_PATH], [directive('default_type', 'text/plain'), directive('return', '200', `"${GENERATION_PLACEHOLDER}\\n"`)]));
    if (!s.ssl) own.push(block('location', ['^~', '/.well-known/acme-challenge/'], [directive('alias', quote(`${input.challengeDir.replace(/\/$/, '')}/`)), directive('default_type', 'text/plain')]));
    lines.push('', ...printNginx([{ ...s.directive, block: [...own, ...s.directive.block!] }]));
  }
  return `${lines.join('\n')}\n`;
}

/** As Dokku's install sets them; also written by install.sh. */
export const SERVER_NAMES_HASH = ['server_names_hash_bucket_size 512;', 'server_names_hash_max_size 4096;'];

/**
 * The one file nginx's http block includes (e.g. /etc/nginx/conf.d/dokku.conf): the server-name
 * hash sizes, the websocket upgrade map every vhost uses, and every app's vhost.
 */
export function renderGlobalInclude(root: string): string {
  return [
    '# dokku: routes to every app; rewritten by dokku',
    // nginx's default bucket (the CPU's cache line, often 64 bytes) cannot hold a 63-character app
    // name under a global domain, and then nginx refuses every app's configuration at once.
    ...SERVER_NAMES_HASH,
    'map $http_upgrade $dokku_connection_upgrade {',
    '  default upgrade;',
    "  '' '';",
    '}',
    `include ${quote(`${root.replace(/\/$/, '')}/*/nginx.conf`)};`,
    '',
  ].join('\n');
}
