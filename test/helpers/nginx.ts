/**
 * A private nginx for a test: its own prefix, main config and logs, listening on free loopback
 * ports, started as a daemon and stopped afterwards. The environment it returns points dokku at it
 * (binary, conf dir, `nginx -t` and a pid-file reload, listen address and ports, log dir).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteWord } from '../../src/lib/words.ts';

export function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(p)) return p;
  return undefined;
}

/** The nginx binary; routing tests need the real thing, so without it they fail rather than skip. */
export function requireNginx(): string {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed: the routing tests need it (apt-get install nginx)');
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestNginx {
  prefix: string;
  confDir: string;
  logDir: string;
  httpPort: number;
  httpsPort: number;
  /** DOKKU_NGINX_* for the dokku under test. */
  env: Record<string, string>;
  pid(): number | undefined;
  stop(): void;
}

export async function startNginx(bin: string): Promise<TestNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'dokku-nginx-'));
  const confDir = join(prefix, 'conf.d');
  const logDir = join(prefix, 'logs');
  for (const d of [confDir, logDir, join(prefix, 'tmp')]) mkdirSync(d, { recursive: true });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const main = join(prefix, 'nginx.conf');
  const pidFile = join(prefix, 'nginx.pid');
  const errorLog = join(logDir, 'error.log');
  const isRoot = process.getuid?.() === 0;
  writeFileSync(
    main,
    [
      // Workers read the app dirs under a 0700 temporary DOKKU_ROOT (ACME tokens), as the test's user.
      isRoot ? 'user root;' : '',
      'worker_processes 2;',
      `pid ${pidFile};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      `  access_log ${join(logDir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(prefix, 'tmp', t)};`),
      // No server_names_hash_* here: dokku's own include sets them, as on a real host.
      `  include ${confDir}/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const base = [bin, '-p', prefix, '-c', main, '-e', errorLog];
  const started = spawnSync(base[0]!, base.slice(1), { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`nginx did not start: ${started.stderr}`);
  const pid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < 100 && !pid(); i++) await new Promise((r) => setTimeout(r, 20));
  const words = base.map(quoteWord).join(' ');
  return {
    prefix,
    confDir,
    logDir,
    httpPort,
    httpsPort,
    env: {
      DOKKU_NGINX_BIN: bin,
      DOKKU_NGINX_CONF_DIR: confDir,
      DOKKU_NGINX_TEST: `${words} -t -q`,
      DOKKU_NGINX_RELOAD: `${words} -s reload`,
      DOKKU_NGINX_START: words,
      DOKKU_NGINX_STOP: `${words} -s stop`,
      DOKKU_NGINX_LISTEN: '127.0.0.1',
      DOKKU_NGINX_HTTP_PORT: String(httpPort),
      DOKKU_NGINX_HTTPS_PORT: String(httpsPort),
      DOKKU_NGINX_LOG_DIR: logDir,
    },
    pid,
    stop() {
      const p = pid();
      spawnSync(base[0]!, [...base.slice(1), '-s', 'stop']);
      if (p) {
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(p, 0);
          } catch {
            break;
          }
          spawnSync('sleep', ['0.05']);
        }
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Retries `fn` until it stops throwing (nginx reloads are asynchronous), up to `ms`. */
export async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
