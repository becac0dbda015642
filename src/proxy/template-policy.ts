import { printable } from '../lib/validate.ts';
import { TemplateError } from './nginx-template.ts';

/**
 * What an app's own template may say once rendered. nginx runs as root on the host and reads every
 * app's vhost in one http context, so a template is parsed into directives and held to an allow-list:
 * only `server` blocks, each naming only the app's own domains and listening only on its own proxy
 * ports; no directive that reads or writes a file (include, root, alias, ssl_certificate, logs, temp
 * paths), loads code (load_module, *_by_lua, perl, js), or proxies anywhere but the app's own
 * upstreams. dokku adds each server's logs, certificate and the reload probe itself.
 */

export interface Directive {
  name: string;
  /** Arguments as written (quotes kept), so the output says exactly what was checked. */
  args: string[];
  block?: Directive[];
  line: number;
}

export function parseNginx(text: string): Directive[] {
  let i = 0;
  let line = 1;
  const word = (): string | undefined => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\n') line++;
      if (/\s/.test(c)) i++;
      else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
      else break;
    }
    if (i >= text.length) return undefined;
    const c = text[i]!;
    if (c === ';' || c === '{' || c === '}') return text[i++];
    const start = i;
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') i++;
        if (text[i] === '\n') line++;
        i++;
      }
      if (i >= text.length) throw new TemplateError(`an unterminated quote (line ${line})`);
      i++;
      return text.slice(start, i);
    }
    // As nginx reads a word: `#` inside it is a character, a backslash keeps the next one in it.
    while (i < text.length && !/[\s;{}"']/.test(text[i]!)) {
      if (text[i] === '\\') {
        if (text[i + 1] === '\n' || i + 1 >= text.length) throw new TemplateError(`a backslash ending a line (line ${line})`);
        i += 2;
      } else if (text[i] === '$' && text[i + 1] === '{') {
        // `${name}` is a variable inside a word.
        const close = text.indexOf('}', i);
        if (close < 0) throw new TemplateError(`an unterminated \${ (line ${line})`);
        i = close + 1;
      } else i++;
    }
    return text.slice(start, i);
  };
  const block = (top: boolean): Directive[] => {
    const out: Directive[] = [];
    for (;;) {
      const first = word();
      if (first === undefined) {
        if (!top) throw new TemplateError('a block without its closing }');
        return out;
      }
      if (first === '}') {
        if (top) throw new TemplateError(`an unexpected } (line ${line})`);
        return out;
      }
      if (first === ';' || first === '{') throw new TemplateError(`an unexpected ${first} (line ${line})`);
      const d: Directive = { name: first, args: [], line };
      for (;;) {
        const w = word();
        if (w === undefined) throw new TemplateError(`${printable(first)} is not ended with ; (line ${d.line})`);
        if (w === ';') break;
        if (w === '{') {
          d.block = block(false);
          break;
        }
        if (w === '}') throw new TemplateError(`${printable(first)} is not ended with ; (line ${d.line})`);
        d.args.push(w);
      }
      out.push(d);
    }
  };
  return block(true);
}

/** Directives a template may use inside a server, location, if or limit_except block. */
const ALLOWED = new Set([
  'add_header', 'allow', 'charset', 'chunked_transfer_encoding', 'client_body_timeout', 'client_header_timeout',
  'client_max_body_size', 'default_type', 'deny', 'error_page', 'etag', 'expires', 'gzip', 'gzip_comp_level',
  'gzip_disable', 'gzip_min_length', 'gzip_proxied', 'gzip_types', 'gzip_vary', 'if', 'keepalive_timeout',
  'limit_except', 'lingering_timeout', 'location', 'proxy_buffer_size', 'proxy_buffering', 'proxy_buffers',
  'proxy_busy_buffers_size', 'proxy_connect_timeout', 'proxy_hide_header', 'proxy_http_version',
  'proxy_intercept_errors', 'proxy_next_upstream', 'proxy_pass', 'proxy_pass_header', 'proxy_read_timeout',
  'proxy_redirect', 'proxy_request_buffering', 'proxy_send_timeout', 'proxy_set_header', 'return', 'rewrite',
  'send_timeout', 'server_tokens', 'set', 'ssl_ciphers', 'ssl_prefer_server_ciphers', 'ssl_protocols',
  'ssl_session_timeout', 'underscores_in_headers',
]);
/** Only directly inside `server`. */
const SERVER_ONLY = new Set(['listen', 'server_name']);

export interface TemplatePolicy {
  app: string;
  /** The app's domains: every server_name must be one of them. */
  domains: readonly string[];
  /** Host ports the app's proxy listens on, and whether each is https. */
  ports: ReadonlyMap<number, 'http' | 'https'>;
  /** Whether the app has a certificate (an `ssl` listen needs one). */
  tls: boolean;
  /** The upstream names dokku defines for the app: proxy_pass may name only these. */
  upstreams: readonly string[];
}

export interface CheckedServer {
  directive: Directive;
  ports: number[];
  ssl: boolean;
  names: string[];
}

const unquote = (s: string) => (/^(["']).*\1$/s.test(s) ? s.slice(1, -1) : s);

function checkListen(d: Directive, policy: TemplatePolicy): { port: number; ssl: boolean } {
  const [addr, ...params] = d.args.map(unquote);
  const m = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(\d{1,5})$/.exec(addr ?? '');
  if (!m) throw new TemplateError(`listen ${printable(d.args.join(' '))} (line ${d.line}): use PORT, ADDRESS:PORT or [IPV6]:PORT`);
  const port = Number(m[1]);
  if (!policy.ports.has(port)) throw new TemplateError(`listen on port ${port} (line ${d.line}): the app's proxy ports are ${[...policy.ports.keys()].join(', ') || 'none'} (ports:report)`);
  for (const p of params) if (p !== 'ssl' && p !== 'http2') throw new TemplateError(`listen parameter ${printable(p)} (line ${d.line}): only ssl and http2`);
  const ssl = params.includes('ssl');
  if (ssl && (!policy.tls || policy.ports.get(port) !== 'https')) throw new TemplateError(`listen ${port} ssl (line ${d.line}): the app has no https port ${port} with a certificate`);
  return { port, ssl };
}

function checkBody(block: Directive[], policy: TemplatePolicy, inServer: boolean): void {
  for (const d of block) {
    if (SERVER_ONLY.has(d.name)) {
      if (!inServer) throw new TemplateError(`${d.name} outside a server block's top level (line ${d.line})`);
      continue;
    }
    if (!ALLOWED.has(d.name)) {
      throw new TemplateError(`directive ${printable(d.name)} is not allowed in an app's template (line ${d.line}); dokku adds logs, certificates and upstreams itself`);
    }
    const blockDirective = d.name === 'location' || d.name === 'if' || d.name === 'limit_except';
    if (blockDirective !== (d.block !== undefined)) throw new TemplateError(`${d.name} ${d.block ? 'takes no block' : 'needs a block'} (line ${d.line})`);
    if (d.name === 'proxy_pass') checkProxyPass(d, policy);
    if (d.block) checkBody(d.block, policy, false);
  }
}

function checkProxyPass(d: Directive, policy: TemplatePolicy): void {
  const target = unquote(d.args[0] ?? '');
  const m = /^https?:\/\/([A-Za-z0-9.-]+)(\/[^\s$]*)?$/.exec(target);
  if (d.args.length !== 1 || !m || !policy.upstreams.includes(m[1]!)) {
    throw new TemplateError(`proxy_pass ${printable(d.args.join(' '))} (line ${d.line}): only to the app's own upstream (${policy.upstreams.map((u) => `http://${u}`).join(', ') || 'none: no web process runs'})`);
  }
}

/** The template's servers, checked against the policy; throws a TemplateError naming the first problem. */
export function checkTemplate(parsed: Directive[], policy: TemplatePolicy): CheckedServer[] {
  if (parsed.length === 0) throw new TemplateError('renders no server block');
  const servers: CheckedServer[] = [];
  for (const d of parsed) {
    if (d.name !== 'server' || !d.block || d.args.length) throw new TemplateError(`only server blocks may stand at the top of an app's template, not ${printable(d.name)} (line ${d.line})`);
    checkBody(d.block, policy, true);
    const listens = d.block.filter((x) => x.name === 'listen').map((x) => checkListen(x, policy));
    if (listens.length === 0) throw new TemplateError(`a server without listen (line ${d.line})`);
    const ssl = listens.some((l) => l.ssl);
    if (ssl && listens.some((l) => !l.ssl)) throw new TemplateError(`a server listening with and without ssl (line ${d.line}): use one server for each`);
    const names = d.block.filter((x) => x.name === 'server_name').flatMap((x) => x.args.map(unquote));
    if (names.length === 0) throw new TemplateError(`a server without server_name (line ${d.line}): name the app's domains ({{ .NOSSL_SERVER_NAME }})`);
    for (const n of names) if (!policy.domains.includes(n)) throw new TemplateError(`server_name ${printable(n)} (line ${d.line}) is not one of the app's domains (${policy.domains.join(', ')})`);
    servers.push({ directive: d, ports: listens.map((l) => l.port), ssl, names });
  }
  return servers;
}

/** Directives back as text, two spaces a level. */
export function printNginx(block: Directive[], depth = 0): string[] {
  const pad = '  '.repeat(depth);
  return block.flatMap((d) => {
    const head = [d.name, ...d.args].join(' ');
    if (!d.block) return [`${pad}${head};`];
    return [`${pad}${head} {`, ...printNginx(d.block, depth + 1), `${pad}}`];
  });
}
