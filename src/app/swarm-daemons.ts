import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { acquireLock, processAlive } from '../lib/lock.ts';
import { selfCommand } from '../lib/self.ts';
import type { Settings } from '../lib/settings.ts';
import { selfSignedCertificate } from './certs.ts';

/**
 * The two processes a swarm manager runs beside dokku: the embedded registry (Debian's
 * `docker-registry`, serving TLS with a certificate made here) and `swarm:watch`, which keeps
 * nginx on the tasks as they move. Both are started detached and started again by the next swarm
 * deploy if a reboot took them.
 */

export const registryDir = (settings: Settings): string => join(settings.root, 'registry');
const pidFile = (settings: Settings): string => join(registryDir(settings), 'registry.pid');
const configFile = (settings: Settings): string => join(registryDir(settings), 'config.yml');
export const watchLockPath = (settings: Settings): string => join(settings.root, 'swarm', 'watch.lock');

/** Where the embedded registry listens (`HOST:PORT`), if `swarm:init` made one. */
export function embeddedRegistry(settings: Settings): string | undefined {
  const path = join(registryDir(settings), 'server');
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/**
 * Writes the registry's certificate (for `addr`), its configuration and Docker's trust of it, then
 * starts it and waits until it answers. Returns `HOST:PORT`.
 */
export async function setUpRegistry(settings: Settings, addr: string, port: number): Promise<string> {
  const dir = registryDir(settings);
  const server = `${addr}:${port}`;
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const { certificate, key } = await selfSignedCertificate([addr], 3650, { ca: true });
  writeFileSync(join(dir, 'registry.crt'), certificate);
  writeFileSync(join(dir, 'registry.key'), key, { mode: 0o600 });
  writeFileSync(
    configFile(settings),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${server}`,
      '  tls:',
      `    certificate: ${join(dir, 'registry.crt')}`,
      `    key: ${join(dir, 'registry.key')}`,
      '',
    ].join('\n'),
  );
  trustRegistry(settings, server, certificate);
  writeFileSync(join(dir, 'server'), `${server}\n`);
  await ensureRegistry(settings);
  return server;
}

/** Every engine on this host trusts the registry's certificate from here, without a restart. */
export function trustRegistry(settings: Settings, server: string, certificate: string): void {
  const dir = join(settings.dockerCertsDir, server);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ca.crt'), certificate);
}

/** The registry's certificate, for other nodes to trust (`swarm:join-token` prints where it goes). */
export function registryCertificate(settings: Settings): string | undefined {
  const path = join(registryDir(settings), 'registry.crt');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Starts the embedded registry unless it runs; a no-op where `swarm:init` made none. */
export async function ensureRegistry(settings: Settings): Promise<void> {
  const server = embeddedRegistry(settings);
  if (!server || registryRunning(settings)) return;
  const log = openSync(join(registryDir(settings), 'registry.log'), 'a');
  const child = spawn(settings.registryBin, ['serve', configFile(settings)], { detached: true, stdio: ['ignore', log, log] });
  const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new UserError(`Could not start ${settings.registryBin}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (apt-get install docker-registry)' : err.message}`))));
  if (child.pid === undefined) await failed;
  writeFileSync(pidFile(settings), `${child.pid}\n`);
  child.unref();
  const until = Date.now() + 15_000;
  while (!(await Promise.race([answers(server, registryCertificate(settings)!), failed]))) {
    if (Date.now() > until || !registryRunning(settings)) {
      throw new UserError(`The registry did not answer on ${server} (see ${join(registryDir(settings), 'registry.log')})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function registryRunning(settings: Settings): boolean {
  if (!existsSync(pidFile(settings))) return false;
  const pid = Number(readFileSync(pidFile(settings), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid);
}

/** The registry API's base answers over TLS with our certificate. */
function answers(server: string, ca: string): Promise<boolean> {
  const [host, port] = [server.slice(0, server.lastIndexOf(':')), Number(server.slice(server.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/v2/', ca, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts `swarm:watch` unless one runs (it holds its lock for as long as it lives). */
export function ensureWatcher(settings: Settings): void {
  try {
    acquireLock(watchLockPath(settings), { actor: 'swarm:watch check', busy: () => new Error('busy') }).release();
  } catch {
    return;
  }
  const [command, ...args] = selfCommand();
  const env = { ...process.env };
  delete env.SSH_ORIGINAL_COMMAND;
  mkdirSync(join(settings.root, 'swarm'), { recursive: true });
  const log = openSync(join(settings.root, 'swarm', 'watch.log'), 'a');
  spawn(command!, [...args, 'swarm:watch'], { detached: true, stdio: ['ignore', log, log], env }).unref();
}
