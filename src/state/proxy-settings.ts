import { isIPv6 } from 'node:net';
import { repoPathProblem } from '../lib/repo-path.ts';
/**
 * Settings of the proxy namespaces (`proxy`, `nginx`, `letsencrypt`), merged into the settings schema.
 * nginx values are single tokens (no spaces, quotes, semicolons or braces), so they can never add a
 * directive; whether nginx accepts the token is for `nginx -t` to say before anything is recorded.
 */

interface Spec {
  default: string;
  check(value: string): string | undefined;
  /** A whole-sentence reason, for rules whose own module words it (as in settings-schema.ts). */
  refuse?(value: string): string | undefined;
  global?: boolean;
}

const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'true or false');
const token = (v: string) => (/^[A-Za-z0-9.]{1,32}$/.test(v) ? undefined : 'one nginx value such as 10m or 60s (letters, digits and dots)');
const seconds = (v: string) => (/^\d{1,10}$/.test(v) ? undefined : 'a whole number of seconds');
const email = (v: string) => (/^[^\s@<>"';&|`$(){}\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(v) ? undefined : 'an email address');
const url = (v: string) => (/^https?:\/\/[^\s'"`$;&|<>\\]+$/.test(v) ? undefined : 'an http(s) URL of an ACME directory');

const time = (v: string) => (/^\d{1,9}(ms|s|m|h|d)?$/.test(v) ? undefined : 'an nginx time such as 60s, 500ms or 2m');
const size = (v: string) => (/^\d{1,9}[kKmMgG]?$/.test(v) ? undefined : 'an nginx size such as 4k, 1m or 4096');
const onOff = (v: string) => (v === 'on' || v === 'off' ? undefined : 'on or off');
const buffers = (v: string) => (/^\d{1,4} \d{1,9}[kKmM]?$/.test(v) ? undefined : 'a number and a size, such as 8 4k');
/** The name of a `log_format` defined in the server's own nginx configuration, never a format itself. */
const logFormatName = (v: string) => (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v) ? undefined : 'the name of a log_format (letters, digits, underscores)');
/** One nginx variable, e.g. $http_x_forwarded_for: never text that could end the directive. */
const variable = (v: string) => (/^\$[a-z_][a-z0-9_]{0,63}$/.test(v) ? undefined : 'one nginx variable such as $remote_addr');
const ipv4 = (v: string) => (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v) ? undefined : 'an IPv4 address such as 127.0.0.1');
const ipv6 = (v: string) => (isIPv6(v.replace(/^\[(.*)\]$/, '$1')) ? undefined : 'an IPv6 address such as ::1 or [::]');
/**
 * `off`, or an absolute path of plain characters without `..`. Who may name a path on the server is
 * decided by the access check (`ssh/access.ts`: admin keys only); this only keeps the value a path.
 */
const logPath = (v: string) =>
  v === '' || v === 'off' || (/^\/[A-Za-z0-9._/-]{1,255}$/.test(v) && !/(^|\/)\.\.?(\/|$)|\/\//.test(v)) ? undefined : 'off or an absolute path without ..';
/** Dokku's other proxy types, refused by name. */
export const OTHER_PROXY_TYPES = ['caddy', 'haproxy', 'openresty', 'traefik'];
const PROXY_TYPE_CHOICES = 'nginx, the only proxy type here';

export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

// `satisfies`, not a type annotation: the key names stay literal, so readers of a setting are type-checked.
export const PROXY_SETTINGS = {
  proxy: {
    disabled: { default: 'false', check: bool },
    /** nginx is the only proxy here; the setting exists so `proxy:set` is recorded and reported as Dokku does. */
    type: { default: 'nginx', check: (v) => (v === 'nginx' ? undefined : PROXY_TYPE_CHOICES) },
  },
  /** `domains:disable`: the host port the app is served on without vhosts ('' while vhosts are on). */
  domains: { 'host-port': { default: '', check: (v) => (v === '' || (/^\d{4,5}$/.test(v) && Number(v) >= 1024 && Number(v) <= 65535) ? undefined : 'a port from 1024 to 65535') } },
  nginx: {
    'access-log-format': { default: '', check: (v) => (v === '' ? undefined : logFormatName(v)) },
    'access-log-path': { default: '', check: logPath },
    'bind-address-ipv4': { default: '', check: (v) => (v === '' ? undefined : ipv4(v)) },
    'bind-address-ipv6': { default: '', check: (v) => (v === '' ? undefined : ipv6(v)) },
    'client-body-timeout': { default: '60s', check: time },
    'client-header-timeout': { default: '60s', check: time },
    'client-max-body-size': { default: '', check: (v) => (v === '' ? undefined : token(v)) },
    'disable-custom-config': { default: 'false', check: bool },
    'error-log-path': { default: '', check: logPath },
    hsts: { default: 'true', check: bool },
    'hsts-include-subdomains': { default: 'true', check: bool },
    'hsts-max-age': { default: '15724800', check: seconds },
    'hsts-preload': { default: 'false', check: bool },
    'keepalive-timeout': { default: '75s', check: time },
    'lingering-timeout': { default: '5s', check: time },
    'nginx-conf-sigil-path': { default: 'nginx.conf.sigil', check: () => undefined, refuse: (v: string) => (v === '' ? undefined : repoPathProblem(v)) },
    'proxy-buffer-size': { default: '4k', check: size },
    'proxy-buffering': { default: 'on', check: onOff },
    'proxy-buffers': { default: '8 4k', check: buffers },
    'proxy-busy-buffers-size': { default: '8k', check: size },
    'proxy-connect-timeout': { default: '60s', check: token },
    'proxy-read-timeout': { default: '60s', check: token },
    'proxy-send-timeout': { default: '60s', check: token },
    'send-timeout': { default: '60s', check: time },
    'underscore-in-headers': { default: 'off', check: onOff },
    'x-forwarded-for-value': { default: '$proxy_add_x_forwarded_for', check: variable },
    'x-forwarded-port-value': { default: '$server_port', check: variable },
    'x-forwarded-proto-value': { default: '$scheme', check: variable },
    'x-forwarded-ssl': { default: '', check: (v) => (v === '' ? undefined : onOff(v)) },
  },
  letsencrypt: {
    email: { default: '', check: email },
    server: { default: LETSENCRYPT_PRODUCTION, check: url },
    /** Renew a certificate this many seconds before it expires (30 days). */
    graceperiod: { default: '2592000', check: seconds },
  },
} satisfies Record<string, Record<string, Spec>>;
