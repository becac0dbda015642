/**
 * The access matrix: every command dokku registers × {admin key, key holding the app, key holding
 * another app}, run as the SSH forced command runs it (NAME, FINGERPRINT, SSH_ORIGINAL_COMMAND) against
 * the compiled binary. The rows come from the command registry, so a command added without a row here
 * fails this file. A refused cell prints one ` !     Access denied …` line, exits 1 and appends one
 * AccessDenied event and nothing else; an allowed cell is never refused for access (it may still fail
 * for its own reasons: Docker is pointed at a socket that does not exist, so nothing is deployed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import type { Context } from '../../src/app/context.ts';
import { GIT_COMMANDS } from '../../src/entry/session.ts';
import { bindCli, eventRows, makeRoot, projectionRows, removeRoots, requireDist, runSync, TARGETS, type RunResult } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';
import { serviceStream } from '../../src/state/events.ts';
import { openStateDatabase } from '../../src/state/open.ts';
import { EventStore } from '../../src/state/store.ts';

/** Who may run a row: everyone, the app's holders (and admins), the service's holders (bob, and admins), admins only, or nobody over SSH. */
type Access = 'open' | 'app' | 'service' | 'admin' | 'internal';

interface Row {
  command: string;
  /** The SSH command string; WEB is the app bob holds. */
  words: string;
  access: Access;
}

const WEB = 'matrix-web';
const OTHER = 'matrix-other';
const GHOST = 'matrix-ghost';

const row = (command: string, access: Access, rest = ''): Row => ({ command, access, words: `${command} ${rest}`.trim() });
const onApp = (command: string, rest = ''): Row => row(command, 'app', `${WEB} ${rest}`.trim());
const admin = (command: string, rest = ''): Row => row(command, 'admin', rest);

/** A service bob was given (acl:add-service) and carol was not. */
const DB = 'matrix-db';
const onService = (command: string, rest = ''): Row => row(command, 'service', `${DB} ${rest}`.trim());
const serviceRows = (k: string): Row[] => [
  admin(`${k}:create`, `${DB}-new`),
  admin(`${k}:list`),
  onService(`${k}:info`),
  onService(`${k}:info`, '--dsn'),
  onService(`${k}:exists`),
  onService(`${k}:link`, WEB),
  // bob holds the service but not OTHER: a link names an app the key must hold too.
  admin(`${k}:link`, `${DB} ${OTHER}`),
  onService(`${k}:unlink`, WEB),
  onService(`${k}:linked`, WEB),
  onService(`${k}:links`),
  onApp(`${k}:app-links`),
  onService(`${k}:promote`, WEB),
  onService(`${k}:connect`),
  onService(`${k}:enter`, 'ls /'),
  onService(`${k}:logs`, '-t'),
  onService(`${k}:start`),
  onService(`${k}:stop`),
  onService(`${k}:restart`),
  onService(`${k}:export`),
  onService(`${k}:import`),
  onService(`${k}:backup`),
  onService(`${k}:backup-schedule-cat`),
  admin(`${k}:backup-schedule`, `${DB} '0 3 * * *'`),
  admin(`${k}:backup-unschedule`, DB),
  admin(`${k}:expose`, `${DB} 15432`),
  admin(`${k}:unexpose`, DB),
  admin(`${k}:clone`, `${DB} ${DB}-copy`),
  admin(`${k}:upgrade`, `${DB} --image-version 16`),
  admin(`${k}:destroy`, `${DB} --force`),
];

const ROWS: Row[] = [
  ...serviceRows('postgres'),
  ...serviceRows('redis'),
  ...serviceRows('mariadb'),
  admin('acl:add-service', `postgres ${DB} matrix-nobody`),
  admin('acl:remove-service', `postgres ${DB} matrix-nobody`),
  admin('acl:list-service', `postgres ${DB}`),
  admin('plugin:install', '/tmp/matrix-no-such-plugin'),
  admin('plugin:list'),
  admin('plugin:installed', 'matrix-plugin'),
  admin('plugin:enable', 'matrix-plugin'),
  admin('plugin:disable', 'matrix-plugin'),
  admin('plugin:uninstall', 'matrix-plugin'),
  admin('plugin:update', 'matrix-plugin'),
  admin('plugin:trigger', 'post-deploy'),
  row('plugin:property-set', 'app', `matrix-plugin ${WEB} k v`),
  admin('plugin:property-set', 'matrix-plugin --global k v'),
  row('plugin:property-unset', 'app', `matrix-plugin ${WEB} k`),
  admin('plugin:property-unset', 'matrix-plugin --global k'),
  row('plugin:property-get', 'app', `matrix-plugin ${WEB} k`),
  admin('plugin:property-get', 'matrix-plugin --global k'),
  row('plugin:property-list', 'app', `matrix-plugin ${WEB}`),
  admin('plugin:property-list', 'matrix-plugin --global'),
  onApp('scheduler:set', 'selected docker-local'),
  admin('scheduler:set', '--global selected docker-local'),
  onApp('scheduler:report'),
  admin('scheduler:report'),
  admin('registry:set', '--global server 127.0.0.1:5999'),
  admin('registry:report', WEB),
  admin('registry:login', '127.0.0.1:5999 user secret'),
  admin('registry:logout', '127.0.0.1:5999'),
  admin('swarm:init', '--advertise-addr 127.0.0.1'),
  admin('swarm:join-token'),
  admin('swarm:nodes'),
  admin('swarm:drain', 'matrix-node'),
  admin('swarm:activate', 'matrix-node'),
  admin('swarm:watch', '--interval 0.1'),
  admin('apps:create', GHOST),
  row('apps:list', 'open'),
  onApp('apps:exists'),
  onApp('apps:report'),
  admin('apps:report'),
  admin('apps:clone', `${WEB} ${GHOST}-clone --skip-deploy`),
  admin('apps:rename', `${GHOST} ${GHOST}-2`),
  admin('apps:destroy', `${GHOST}-2 --force`),
  onApp('apps:lock'),
  onApp('apps:unlock'),
  admin('apps:set', '--global disable-autocreation false'),
  onApp('apps:locked'),
  onApp('config'),
  admin('config', '--global'),
  onApp('config:show'),
  onApp('config:get', 'A'),
  admin('config:get', '--global A'),
  onApp('config:set', 'A=1 --no-restart'),
  admin('config:set', '--global A=1 --no-restart'),
  onApp('config:unset', 'A --no-restart'),
  admin('config:unset', '--global A --no-restart'),
  onApp('config:clear', '--no-restart'),
  admin('config:clear', '--global --no-restart'),
  onApp('config:keys'),
  onApp('config:export'),
  onApp('config:import', '--no-restart'),
  admin('config:import', '--global'),
  onApp('config:bundle'),
  admin('config:bundle', '--global'),
  onApp('app-json:set', 'appjson-path deploy/app.json'),
  admin('app-json:set', '--global appjson-path app.json'),
  onApp('app-json:report'),
  admin('app-json:report'),
  onApp('events'),
  row('events', 'open'),
  admin('events:verify'),
  admin('state:rebuild'),
  admin('backup:export', '-'),
  admin('backup:import', '/nonexistent/platform.tar.gz'),
  onApp('releases'),
  onApp('releases:info', 'v1'),
  onApp('releases:diff', 'v1 v2'),
  onApp('releases:set', 'keep-count 5'),
  onApp('rollback'),
  onApp('builds:list'),
  onApp('builds:output'),
  onApp('builds:info', '1'),
  onApp('builder:set', 'selected dockerfile'),
  onApp('builds:cancel'),
  onApp('builds:set', 'retention 5'),
  admin('builds:set', '--global retention 5'),
  onApp('builds:report'),
  admin('builds:report'),
  onApp('builds:prune'),
  admin('builds:prune', '--all-apps'),
  onApp('buildpacks:report'),
  admin('buildpacks:report'),
  onApp('buildpacks:detect'),
  onApp('repo:gc'),
  onApp('repo:purge-cache'),
  onApp('report'),
  onApp('cleanup'),
  admin('cleanup'),
  admin('report'),
  onApp('builder:report'),
  admin('builder:report'),
  onApp('buildpacks:add', 'procfile'),
  onApp('buildpacks:set', 'procfile'),
  onApp('buildpacks:remove', 'procfile'),
  onApp('buildpacks:clear'),
  onApp('buildpacks:list'),
  onApp('buildpacks:set-property', 'stack dokku/stack:bookworm'),
  admin('buildpacks:set-property', '--global stack dokku/stack:bookworm'),
  onApp('checks:disable'),
  onApp('checks:enable'),
  onApp('checks:skip'),
  onApp('checks:set', 'wait 2'),
  onApp('checks:run'),
  onApp('checks:run', 'web.1'),
  onApp('checks:report'),
  admin('checks:report'),
  onApp('git:from-archive', '-'),
  onApp('git:from-image', 'busybox:latest'),
  row('git-hook', 'internal', WEB),
  { command: 'git-hook', access: 'internal', words: `--quiet git-hook ${WEB}` },
  { command: 'git-hook', access: 'internal', words: `--app ${WEB} git-hook` },
  onApp('git:set', 'deploy-branch main'),
  admin('git:set', '--global deploy-branch main'),
  onApp('git:report'),
  admin('git:report'),
  onApp('git:sync', 'ftp://example.org/repo.git'),
  onApp('git:status'),
  onApp('git:load-image', 'busybox:latest'),
  admin('git:generate-deploy-key'),
  admin('git:public-key'),
  admin('git:allow-host'),
  onApp('ps:scale', 'web=1'),
  onApp('ps:stop'),
  admin('ps:stop', '--all'),
  onApp('ps:start'),
  admin('ps:start', '--all --parallel 2'),
  onApp('ps:restart'),
  admin('ps:restart', '--all'),
  onApp('ps:retire'),
  onApp('ps:rebuild'),
  admin('ps:rebuild', '--all'),
  onApp('ps:set', 'restart-policy always'),
  admin('ps:set', '--global stop-timeout-seconds 20'),
  admin('ps:restore'),
  onApp('ps:inspect'),
  onApp('ps:report'),
  admin('ps:report'),
  onApp('logs', '-n 1'),
  onApp('logs:set', 'max-size 20m'),
  admin('logs:set', '--global max-size 20m'),
  onApp('logs:report'),
  admin('logs:report'),
  onApp('logs:failed'),
  admin('logs:failed', '--all'),
  onApp('docker-options:add', "deploy '--shm-size 64m'"),
  // A flag that reaches past the container is an admin's, even on the tenant's own app.
  admin('docker-options:add', `${WEB} deploy,run '-v /:/host'`),
  onApp('docker-options:remove', "deploy '--shm-size 64m'"),
  onApp('docker-options:clear'),
  onApp('docker-options:report'),
  admin('docker-options:report'),
  admin('storage:ensure-directory', 'matrix-dir --chown false'),
  // A tenant makes entries only for an app it holds, and never names a path.
  row('storage:create', 'app', `matrix-web-data --app ${WEB} --chown false`),
  admin('storage:create', 'matrix-admin-data /tmp --chown false'),
  onApp('storage:mount', 'matrix-web-data --container-dir /data'),
  // A host path, or an entry not made for the app, is an admin's to mount.
  admin('storage:mount', `${WEB} /:/host`),
  admin('storage:mount', `${WEB} matrix-admin-entry --container-dir /admin-data`),
  onApp('storage:list'),
  onApp('storage:unmount', 'matrix-web-data'),
  onApp('storage:report'),
  admin('storage:report'),
  admin('storage:list-entries'),
  admin('storage:info', 'matrix-web-data'),
  admin('storage:destroy', 'matrix-admin-data'),
  onApp('resource:limit', '--memory 256 --no-restart'),
  onApp('resource:limit'),
  admin('resource:limit', '--global --memory 512'),
  onApp('resource:limit-clear', '--no-restart'),
  admin('resource:limit-clear', '--global'),
  onApp('resource:reserve', '--memory 128 --no-restart'),
  admin('resource:reserve', '--global --cpu 1'),
  onApp('resource:reserve-clear', '--no-restart'),
  admin('resource:reserve-clear', '--global'),
  onApp('resource:report'),
  admin('resource:report', '--global'),
  admin('network:create', 'matrix-net'),
  admin('network:exists', 'matrix-net'),
  admin('network:info', 'matrix-net'),
  admin('network:list'),
  admin('network:rebuild', 'matrix-net'),
  admin('network:rebuildall'),
  onApp('network:set', 'tld svc.local'),
  onApp('network:set', 'attach-post-deploy matrix-net'),
  admin('network:set', '--global tld svc.local'),
  onApp('network:report'),
  admin('network:report'),
  admin('network:destroy', 'matrix-net --force'),
  onApp('cron:list'),
  onApp('cron:run', '0123456789ab'),
  onApp('cron:suspend'),
  onApp('cron:resume'),
  onApp('cron:set', 'mailto ops@example.com'),
  admin('cron:set', '--global maintenance false'),
  onApp('cron:report'),
  admin('cron:report'),
  onApp('run:list'),
  admin('run:list'),
  onApp('run:logs', `${WEB}.run.1a2b3c`),
  onApp('run:stop', '--all'),
  onApp('run', '--env A=1 true'),
  onApp('run', 'true'),
  onApp('run', 'sh -c \'exit 7\''),
  onApp('run:detached', 'true'),
  onApp('run:detached', 'sh -c \'exit 7\''),
  onApp('enter', 'web true'),
  admin('stack:build'),
  onApp('domains:add', 'matrix.example.org'),
  onApp('domains:remove', 'matrix.example.org'),
  onApp('domains:set', 'matrix.example.org'),
  onApp('domains:clear'),
  admin('domains:disable', WEB),
  onApp('domains:enable'),
  onApp('domains:reset'),
  admin('domains:add-global', 'matrix.example.net'),
  admin('domains:remove-global', 'matrix.example.net'),
  admin('domains:set-global', 'matrix.example.net'),
  admin('domains:clear-global'),
  onApp('domains:report'),
  admin('domains:report'),
  admin('domains:report', '--global'),
  onApp('ports:list'),
  onApp('ports:add', 'http:80:5000'),
  onApp('ports:set', 'http:80:5000'),
  onApp('ports:remove', 'http:80:5000'),
  onApp('ports:clear'),
  onApp('ports:report'),
  admin('ports:report'),
  onApp('proxy:enable'),
  admin('proxy:enable', '--all'),
  onApp('proxy:disable'),
  onApp('proxy:build-config'),
  onApp('proxy:set', 'type nginx'),
  admin('proxy:set', '--global type nginx'),
  onApp('proxy:clear-config'),
  admin('proxy:clear-config', '--all'),
  admin('proxy:build-config', '--all'),
  onApp('proxy:report'),
  admin('proxy:report'),
  onApp('nginx:show-config'),
  admin('nginx:validate-config'),
  onApp('nginx:access-logs', '-n 1'),
  onApp('nginx:error-logs', '-n 1'),
  onApp('nginx:set', 'client-max-body-size 2m'),
  onApp('nginx:set', 'nginx-conf-sigil-path .dokku/nginx.conf.sigil'),
  onApp('nginx:set', 'access-log-path off'),
  admin('nginx:set', `${WEB} access-log-path /var/log/nginx/elsewhere.log`),
  admin('nginx:set', `${WEB} error-log-path /etc/nginx/nginx.conf`),
  admin('nginx:start'),
  admin('nginx:stop'),
  admin('nginx:reload'),
  admin('nginx:set', '--global client-max-body-size 2m'),
  onApp('nginx:report'),
  admin('nginx:report'),
  onApp('certs:add'),
  onApp('certs:update'),
  onApp('certs:show', 'crt'),
  onApp('certs:remove'),
  onApp('certs:generate', 'matrix.example.org'),
  onApp('certs:report'),
  admin('certs:report'),
  onApp('letsencrypt:enable'),
  onApp('letsencrypt:disable'),
  onApp('letsencrypt:revoke'),
  admin('letsencrypt:list'),
  onApp('letsencrypt:set', 'email ops@example.org'),
  admin('letsencrypt:set', '--global email ops@example.org'),
  onApp('letsencrypt:auto-renew'),
  admin('letsencrypt:auto-renew'),
  onApp('letsencrypt:report'),
  admin('letsencrypt:report'),
  admin('letsencrypt:report', '--global'),
  onApp('url'),
  onApp('urls'),
  admin('ssh-keys:add', 'matrix-new -'),
  admin('ssh-keys:list'),
  admin('ssh-keys:remove', 'matrix-nobody'),
  admin('acl:add', `${WEB} matrix-nobody`),
  admin('acl:remove', `${WEB} matrix-nobody`),
  admin('acl:set', 'matrix-nobody domains example.org'),
  admin('acl:list'),
  admin('acl:list', WEB),
  row('version', 'open'),
  row('help', 'open'),
  row('help', 'open', '--all'),
  { command: 'help', access: 'open', words: 'apps:help' },
  // Global flags before the command: `--app` names the app as a positional would, and meets the
  // same check (carol, who holds another app, is refused it); `--force` does not lift an admin command.
  { command: 'config', access: 'app', words: `--app ${WEB} config` },
  { command: 'ps:report', access: 'app', words: `--quiet --app ${WEB} ps:report --deployed` },
  { command: 'apps:report', access: 'app', words: `--trace --app=${WEB} apps:report` },
  { command: 'apps:destroy', access: 'admin', words: `--force --app ${GHOST} apps:destroy` },
  // git's own commands, served before the CLI: a fetch of the app's repository.
  row('git-upload-pack', 'app', `'${WEB}'`),
  row('git-receive-pack', 'app', `'${WEB}'`),
];

/** Every command the CLI registers, by name, plus git's two. */
function registeredCommands(): string[] {
  const cli = buildProgram({} as Context);
  return [...cli.commands.map((c) => c.name), ...GIT_COMMANDS];
}

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-matrix-');
const cli = bindCli(compiled, root);
let keys: Record<'alice' | 'bob' | 'carol', KeyPair>;

/** Docker is unreachable and nginx is `true`: cells exercise access, not deploys. */
const ENV = {
  DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  DOKKU_NGINX_TEST: 'true',
  DOKKU_NGINX_RELOAD: 'true',
  DOKKU_NGINX_START: 'true',
  DOKKU_NGINX_STOP: 'true',
  DOKKU_NGINX_CONF_DIR: join(root, 'nginx-conf'),
  DOKKU_NGINX_LOG_DIR: join(root, 'nginx-log'),
};

function asKey(key: 'alice' | 'bob' | 'carol', words: string): RunResult {
  return runSync(compiled, root, [], { env: { ...ENV, NAME: key, FINGERPRINT: keys[key].fingerprint, SSH_ORIGINAL_COMMAND: words } });
}

beforeAll(async () => {
  requireDist();
  mkdirSync(ENV.DOKKU_NGINX_CONF_DIR, { recursive: true });
  mkdirSync(ENV.DOKKU_NGINX_LOG_DIR, { recursive: true });
  const dir = makeRoot('dokku-matrix-keys-');
  keys = { alice: makeKeyPair(dir, 'alice'), bob: makeKeyPair(dir, 'bob'), carol: makeKeyPair(dir, 'carol') };
  cli.ok('ssh-keys:add', 'alice', keys.alice.pub);
  cli.ok('ssh-keys:add', 'bob', keys.bob.pub);
  cli.ok('ssh-keys:add', 'carol', keys.carol.pub);
  cli.ok('apps:create', WEB);
  cli.ok('apps:create', OTHER);
  cli.ok('acl:add', WEB, 'bob');
  cli.ok('acl:add', OTHER, 'carol');
  // An admin's entry, not made for WEB: its key may not mount it.
  cli.ok('storage:create', 'matrix-admin-entry', '--chown', 'false');
  // Services are recorded as postgres:create records them (no Docker here), then given to bob.
  const store = new EventStore(await openStateDatabase(join(root, 'dokku.db')));
  for (const kind of ['postgres', 'redis', 'mariadb']) {
    store.append(serviceStream(`matrix-${kind}`), 0, [{ type: 'ServiceCreated', data: { kind, name: DB, image: `dokku/${kind}:x`, password: 'matrixpw1' } }], 'admin');
  }
  store.db.close();
  cli.ok('acl:add-service', 'postgres', DB, 'bob');
  cli.ok('acl:add-service', 'redis', DB, 'bob');
  cli.ok('acl:add-service', 'mariadb', DB, 'bob');
});
afterAll(removeRoots);

describe('access matrix', () => {
  it('has a row for every registered command', () => {
    const covered = new Set(ROWS.map((r) => r.command));
    expect(registeredCommands().filter((c) => !covered.has(c))).toEqual([]);
    expect([...covered].filter((c) => !registeredCommands().includes(c))).toEqual([]);
  });

  /** A refusal: one line, exit 1, one AccessDenied event naming the key, and no projection changed. */
  function expectRefused(key: 'bob' | 'carol', r: Row): void {
    const before = projectionRows(root);
    const eventsBefore = eventRows(root).length;
    const res = asKey(key, r.words);
    const cell = `${key}: ${r.words}`;
    expect(res.code, cell).toBe(1);
    expect(res.stdout, cell).toBe('');
    expect(res.stderr.trimEnd().split('\n'), cell).toEqual([expect.stringMatching(new RegExp(`^ !     Access denied for key ${key}: `))]);
    const added = eventRows(root).slice(eventsBefore);
    expect(added.map((e) => [e.type, e.actor]), cell).toEqual([['AccessDenied', key]]);
    expect(JSON.parse(added[0]!.data), cell).toMatchObject({ key, fingerprint: keys[key].fingerprint, command: r.command });
    expect(projectionRows(root), cell).toBe(before);
  }

  /** Allowed: whatever the command makes of its words, access did not stop it. */
  function expectAllowed(key: 'alice' | 'bob' | 'carol', r: Row): void {
    const eventsBefore = eventRows(root).length;
    const res = asKey(key, r.words);
    const cell = `${key}: ${r.words}`;
    expect(res.stderr, cell).not.toMatch(/Access denied/);
    expect(eventRows(root).slice(eventsBefore).map((e) => e.type), cell).not.toContain('AccessDenied');
  }

  // Refused cells first, so that what allowed cells change cannot hide a refusal's effect.
  for (const r of ROWS.filter((x) => x.access === 'app' || x.access === 'service' || x.access === 'admin')) {
    it(`carol (another app's key) is refused: ${r.words}`, () => expectRefused('carol', r));
  }
  for (const r of ROWS.filter((x) => x.access === 'admin')) {
    it(`bob (the app's key) is refused an admin command: ${r.words}`, () => expectRefused('bob', r));
  }
  for (const r of ROWS.filter((x) => x.access === 'internal')) {
    it(`nobody runs ${r.command} over SSH`, () => {
      for (const key of ['alice', 'bob', 'carol'] as const) {
        const before = eventRows(root).length;
        const res = asKey(key, r.words);
        expect(res.code, key).toBe(1);
        expect(res.stderr, key).toMatch(/is run by dokku's git hook, not over SSH/);
        expect(eventRows(root).length, key).toBe(before);
      }
    });
  }
  for (const r of ROWS.filter((x) => x.access === 'open' || x.access === 'app' || x.access === 'service')) {
    it(`bob (the app's and the service's key) may run: ${r.words}`, () => expectAllowed('bob', r));
  }
  for (const r of ROWS.filter((x) => x.access === 'open')) {
    it(`carol may run: ${r.words}`, () => expectAllowed('carol', r));
  }
  for (const r of ROWS.filter((x) => x.access !== 'internal')) {
    it(`alice (admin) may run: ${r.words}`, () => expectAllowed('alice', r));
  }
});
