import { join } from 'node:path';

/**
 * Every path, port and binary the program touches, in one place, each overridable from the
 * environment so tests run side by side in temporary directories on high ports.
 */
export interface Settings {
  root: string;
  dbPath: string;
  dockerHost: string | undefined;
  /** CA bundle mounted into build containers (TLS-intercepting proxies need the host's CAs). */
  caBundle: string;
  nginxBin: string;
  nginxConfDir: string;
  nginxReload: string;
  /** Checks the whole nginx configuration; split into words, never run by a shell. */
  nginxTest: string;
  /** Start and stop the nginx server (`nginx:start`, `nginx:stop`); words, no shell. */
  nginxStart: string;
  nginxStop: string;
  /** Address vhosts listen on (empty: every address), and the proxy's standard ports. */
  nginxListen: string;
  nginxHttpPort: number;
  nginxHttpsPort: number;
  /** Per-app access and error logs go here. */
  nginxLogDir: string;
  stackImage: string;
  /** The sshd file that `ssh-keys:*` rewrites (the dokku user's ~/.ssh/authorized_keys). */
  authorizedKeys: string;
  /** Largest source archive accepted, uploaded and once uncompressed (a gzip bomb stops here). */
  maxArchiveBytes: number;
  /** Where storage entries live by default (`$DOKKU_LIB_ROOT/data/storage`, as Dokku's). */
  storageRoot: string;
  /** Each service's data and config directories (`$DOKKU_LIB_ROOT/services/<kind>/<name>`, as Dokku's plugins keep them). */
  servicesRoot: string;
  /** Service backups (`$DOKKU_LIB_ROOT/data/backups/<kind>/<name>/<time>`). */
  backupsRoot: string;
  /** `$DOKKU_LIB_ROOT` (`/var/lib/dokku`): plugins live under `plugins/` and `core-plugins/`, as in Dokku. */
  libRoot: string;
  /** Docker's per-registry trust (`<dir>/<host:port>/ca.crt`), read by every engine on the host. */
  dockerCertsDir: string;
  /** Debian's `docker-registry` (the distribution registry), started by `swarm:init`. */
  registryBin: string;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const root = env.DOKKU_ROOT || '/home/dokku';
  return {
    root,
    dbPath: env.DOKKU_DB || join(root, 'dokku.db'),
    dockerHost: env.DOCKER_HOST || undefined,
    caBundle: env.DOKKU_CA_BUNDLE || '/etc/ssl/certs/ca-certificates.crt',
    nginxBin: env.DOKKU_NGINX_BIN || 'nginx',
    nginxConfDir: env.DOKKU_NGINX_CONF_DIR || '/etc/nginx/conf.d',
    nginxReload: env.DOKKU_NGINX_RELOAD || 'sudo nginx -s reload',
    nginxTest: env.DOKKU_NGINX_TEST || `sudo ${env.DOKKU_NGINX_BIN || 'nginx'} -t`,
    nginxStart: env.DOKKU_NGINX_START || 'sudo systemctl start nginx',
    nginxStop: env.DOKKU_NGINX_STOP || 'sudo systemctl stop nginx',
    nginxListen: env.DOKKU_NGINX_LISTEN || '',
    nginxHttpPort: Number(env.DOKKU_NGINX_HTTP_PORT || 80),
    nginxHttpsPort: Number(env.DOKKU_NGINX_HTTPS_PORT || 443),
    nginxLogDir: env.DOKKU_NGINX_LOG_DIR || '/var/log/nginx',
    stackImage: env.DOKKU_STACK_IMAGE || 'dokku/stack:bookworm',
    authorizedKeys: env.DOKKU_AUTHORIZED_KEYS || join(root, '.ssh', 'authorized_keys'),
    maxArchiveBytes: positiveInteger(env.DOKKU_MAX_ARCHIVE_BYTES) ?? 2 * 1024 ** 3,
    storageRoot: join(env.DOKKU_LIB_ROOT || '/var/lib/dokku', 'data', 'storage'),
    servicesRoot: join(env.DOKKU_LIB_ROOT || '/var/lib/dokku', 'services'),
    backupsRoot: join(env.DOKKU_LIB_ROOT || '/var/lib/dokku', 'data', 'backups'),
    libRoot: env.DOKKU_LIB_ROOT || '/var/lib/dokku',
    dockerCertsDir: env.DOKKU_DOCKER_CERTS_DIR || '/etc/docker/certs.d',
    registryBin: env.DOKKU_REGISTRY_BIN || 'docker-registry',
  };
}

function positiveInteger(text: string | undefined): number | undefined {
  if (!text || !/^\d{1,15}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n > 0 ? n : undefined;
}

export function appDir(settings: Settings, app: string): string {
  return join(settings.root, app);
}

/** Build output, kept per app id so a rename keeps it. */
export function buildLogPath(settings: Settings, appId: string, build: number): string {
  return join(settings.root, 'builds', appId, `${build}.log`);
}

/** The last source that built, kept so `ps:rebuild` can build it again (one per app). */
export function sourcePath(settings: Settings, appId: string): string {
  return join(settings.root, 'sources', `${appId}.tar`);
}

/** The app's nginx vhost, included from the one global file in `nginxConfDir`. */
export function vhostPath(settings: Settings, app: string): string {
  return join(settings.root, app, 'nginx.conf');
}

/** Extra nginx directives for the app's server blocks, dropped by plugins (Dokku's `nginx.conf.d`). */
export function nginxIncludeDir(settings: Settings, app: string): string {
  return join(settings.root, app, 'nginx.conf.d');
}

/** The app's certificate and key, kept per app id so a rename keeps them. */
export function certDir(settings: Settings, appId: string): string {
  return join(settings.root, 'certs', appId);
}

/** ACME account keys and the HTTP-01 tokens nginx serves. */
export function acmeDir(settings: Settings): string {
  return join(settings.root, 'letsencrypt');
}

/** The app's bare git repository, made on its first push. */
export function gitRepoPath(settings: Settings, app: string): string {
  return join(settings.root, `${app}.git`);
}

/** A service's directory on the host: `data/` (mounted as the server's data) and `config/`. */
export function serviceDir(settings: Settings, kind: string, name: string): string {
  return join(settings.servicesRoot, kind, name);
}

export function serviceBackupDir(settings: Settings, kind: string, name: string): string {
  return join(settings.backupsRoot, kind, name);
}

/** Dokku's plugin directories: `available/<name>` holds a plugin, `enabled/<name>` links to it. */
export function pluginPaths(settings: Settings): { root: string; available: string; enabled: string; core: string } {
  return {
    root: join(settings.libRoot, 'plugins'),
    available: join(settings.libRoot, 'plugins', 'available'),
    enabled: join(settings.libRoot, 'plugins', 'enabled'),
    core: join(settings.libRoot, 'core-plugins', 'available'),
  };
}
