/**
 * Settings of the proxy namespaces (`proxy`, `nginx`, `letsencrypt`), merged into the settings schema.
 * nginx values are single tokens (no spaces, quotes, semicolons or braces), so they can never add a
 * directive; whether nginx accepts the token is for `nginx -t` to say before anything is recorded.
 */

interface Spec {
  default: string;
  check(value: string): string | undefined;
  global?: boolean;
}

const bool = (v: string) => (v === 'true' || v === 'false' ? undefined : 'true or false');
const token = (v: string) => (/^[A-Za-z0-9.]{1,32}$/.test(v) ? undefined : 'one nginx value such as 10m or 60s (letters, digits and dots)');
const seconds = (v: string) => (/^\d{1,10}$/.test(v) ? undefined : 'a whole number of seconds');
const email = (v: string) => (/^[^\s@<>"';&|`$(){}\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(v) ? undefined : 'an email address');
const url = (v: string) => (/^https?:\/\/[^\s'"`$;&|<>\\]+$/.test(v) ? undefined : 'an http(s) URL of an ACME directory');

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
    'client-max-body-size': { default: '', check: (v) => (v === '' ? undefined : token(v)) },
    'proxy-read-timeout': { default: '60s', check: token },
    'proxy-connect-timeout': { default: '60s', check: token },
    'proxy-send-timeout': { default: '60s', check: token },
    hsts: { default: 'true', check: bool },
    'hsts-max-age': { default: '15724800', check: seconds },
    'hsts-include-subdomains': { default: 'true', check: bool },
    'hsts-preload': { default: 'false', check: bool },
  },
  letsencrypt: {
    email: { default: '', check: email },
    server: { default: LETSENCRYPT_PRODUCTION, check: url },
    /** Renew a certificate this many seconds before it expires (30 days). */
    graceperiod: { default: '2592000', check: seconds },
  },
} satisfies Record<string, Record<string, Spec>>;
