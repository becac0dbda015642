/**
 * Plugins written in bash, Python and Node, installed from local git repositories, acting on a
 * real deploy through a real nginx and Docker: a bash `maint:on|off` command drops an nginx include
 * that serves 503; a Python post-deploy records its arguments; a Node docker-args-deploy adds a
 * label `docker inspect` shows; a pre-receive-app refuses a `git push` with its message; a failing
 * pre-deploy stops a restart while the old release keeps serving. Install, disable, update to
 * another commit and uninstall are events in the log.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx, webAppSource } from '../proxy/helpers.ts';
import { makeKeyPair } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

/** A plugin as a git repository: files (path → text, executable when the text starts with #!), one commit. */
function pluginRepo(base: string, name: string, files: Record<string, string>): string {
  const dir = join(base, name);
  commitFiles(dir, files, 'first', true);
  return dir;
}

function commitFiles(dir: string, files: Record<string, string>, message: string, init = false): string {
  mkdirSync(dir, { recursive: true });
  if (init) git(dir, 'init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    if (text.startsWith('#!')) chmodSync(join(dir, path), 0o755);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

const toml = (description: string, version: string, commands = '') => `[plugin]\ndescription = "${description}"\nversion = "${version}"\n${commands}`;

describe('plugins in bash, Python and Node', () => {
  const root = makeRoot('dokku-plugins-');
  const base = mkdtempSync(join(tmpdir(), 'dokku-plugin-src-'));
  const app = uniqueName('plg');
  const host = `${app}.test`;
  let nginx: TestNginx;
  let work = '';
  let labelerV2 = '';
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const get = () => viaNginx(nginx.httpPort, host);
  /** git push over dokku's own git-receive-pack (the path a push over SSH takes, without sshd). */
  const push = () =>
    spawnSync('git', ['-c', 'protocol.ext.allow=always', 'push', `ext::${compiled.command} %S ${app}`, 'main'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...nginx.env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib') },
      timeout: 240_000,
    });

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    // The app's source as a git repository.
    const tar = await webAppSource(docker!);
    work = join(base, 'app');
    mkdirSync(work);
    execFileSync('tar', ['-xf', tar, '-C', work]);
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'app');

    pluginRepo(base, 'dokku-maint', {
      'plugin.toml': toml('maintenance page', '1.0.0', '[commands]\n"maint:on" = { app = 1 }\n"maint:off" = { app = 1 }\n'),
      commands: [
        '#!/usr/bin/env bash',
        'set -eo pipefail',
        'source "$PLUGIN_CORE_AVAILABLE_PATH/common/functions"',
        'case "$1" in',
        '  maint:on) verify_app_name "$2"; mkdir -p "$DOKKU_ROOT/$2/nginx.conf.d"',
        '    printf \'return 503 "down for maintenance\\\\n";\\n\' > "$DOKKU_ROOT/$2/nginx.conf.d/maint.conf"',
        '    dokku proxy:build-config "$2" >/dev/null; dokku_log_info1 "Maintenance on for $2" ;;',
        '  maint:off) verify_app_name "$2"; rm -f "$DOKKU_ROOT/$2/nginx.conf.d/maint.conf"',
        '    dokku proxy:build-config "$2" >/dev/null; dokku_log_info1 "Maintenance off for $2" ;;',
        '  *) exit "$DOKKU_NOT_IMPLEMENTED_EXIT" ;;',
        'esac',
        '',
      ].join('\n'),
    });
    pluginRepo(base, 'recorder', {
      'plugin.toml': toml('records deploys', '0.1.0'),
      'post-deploy': '#!/usr/bin/env python3\nimport os, sys\nwith open(os.path.join(os.environ["DOKKU_ROOT"], "recorded-" + sys.argv[1]), "a") as f:\n    f.write(" ".join(sys.argv[1:]) + "\\n")\n',
      report: '#!/usr/bin/env python3\nimport os, sys\npath = os.path.join(os.environ["DOKKU_ROOT"], "recorded-" + sys.argv[1])\nn = len(open(path).read().splitlines()) if os.path.exists(path) else 0\nprint("=====> " + sys.argv[1] + " recorder information")\nprint("       Recorded deploys: " + str(n))\n',
    });
    const labeler = pluginRepo(base, 'labeler', {
      'plugin.toml': toml('labels containers', '1.0.0'),
      'docker-args-deploy': '#!/usr/bin/env node\nconst [app, , proc] = process.argv.slice(2);\nconsole.log(`--label com.example.plugin=${app}-${proc}-v1`);\n',
    });
    labelerV2 = commitFiles(labeler, {
      'plugin.toml': toml('labels containers', '2.0.0'),
      'docker-args-deploy': '#!/usr/bin/env node\nconst [app, , proc] = process.argv.slice(2);\nconsole.log(`--label com.example.plugin=${app}-${proc}-v2`);\n',
    }, 'second');
    git(labeler, 'checkout', '-q', 'HEAD~1');
    pluginRepo(base, 'gate', {
      'plugin.toml': toml('refuses pushes with a REFUSE file', '0.1.0'),
      'pre-receive-app': '#!/bin/sh\nif [ -e "$3/REFUSE" ]; then echo "gate: this push carries a REFUSE file" >&2; exit 1; fi\n',
    });
    pluginRepo(base, 'breaker', {
      'plugin.toml': toml('fails every deploy', '0.1.0'),
      'pre-deploy': '#!/bin/sh\necho "breaker says no to $1"\nexit 3\n',
    });

    await ok('apps:create', app);
    await ok('domains:add', app, host);
    await ok('checks:set', app, 'wait', '0');
    await ok('checks:set', app, 'wait-to-retire', '0');
    await ok('config:set', app, 'MESSAGE=hello', '--no-restart');
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('installs plugins from git repositories, as events naming the commit', async () => {
    const maint = await ok('plugin:install', join(base, 'dokku-maint'));
    expect(maint.stdout).toContain('Plugin maint 1.0.0 installed and enabled');
    for (const name of ['recorder', 'labeler', 'gate']) await ok('plugin:install', join(base, name));
    const list = JSON.parse((await ok('plugin:list', '--format', 'json')).stdout) as Array<{ name: string; version: string; enabled: boolean }>;
    expect(list.map((p) => `${p.name} ${p.version} ${p.enabled}`)).toEqual(['gate 0.1.0 true', 'labeler 1.0.0 true', 'maint 1.0.0 true', 'recorder 0.1.0 true']);
    expect((await ok('help')).stdout).toMatch(/Plugins \(dokku PLUGIN:help for their commands\):\n\n(.*\n)*\s+maint\s+maintenance page\n/);
    expect((await dokku('plugin:installed', 'maint')).code).toBe(0);
    expect((await dokku('plugin:installed', 'nope')).code).toBe(1);
    const events = (await ok('events', '--format', 'json')).stdout;
    const head = git(join(base, 'labeler'), 'rev-parse', 'HEAD').trim();
    expect(events).toContain('"PluginInstalled"');
    expect(events).toContain(head);
  }, 60_000);

  it('a git push deploys, and the Python and Node plugins act on it', async () => {
    const r = push();
    expect(r.status, r.stderr).toBe(0);
    const reply = await get();
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hello v1\n');
    const recorded = readFileSync(join(root, `recorded-${app}`), 'utf8');
    expect(recorded).toMatch(new RegExp(`^${app} \\d+ 127\\.0\\.0\\.1 dokku/${app}:`));
    const ids = (await ok('ps:report', app, '--format', 'json')).stdout;
    expect(ids).toContain('running');
    const inspect = JSON.parse((await ok('ps:inspect', app)).stdout) as Array<{ Config: { Labels: Record<string, string> } }>;
    expect(inspect[0]!.Config.Labels['com.example.plugin']).toBe(`${app}-web-v1`);
    const report = await dokku('report', app);
    expect(report.stdout).toContain(`=====> ${app} recorder information\n       Recorded deploys: 1`);
  }, 300_000);

  it('a bash plugin command drops an nginx include that serves 503, and takes it away', async () => {
    const on = await ok('maint:on', app);
    expect(on.stdout).toContain(`Maintenance on for ${app}`);
    await eventually(async () => {
      const r = await get();
      expect(r.status).toBe(503);
      expect(r.body).toBe('down for maintenance\n');
    });
    await ok('maint:off', app);
    await eventually(async () => expect((await get()).status).toBe(200));
  }, 60_000);

  it('pre-receive-app refuses a push with its message shown to the pusher, and the old release keeps serving', async () => {
    writeFileSync(join(work, 'REFUSE'), 'x');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'refuse me');
    const r = push();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('gate: this push carries a REFUSE file');
    expect(r.stderr).toContain('pre-receive-app trigger of plugin gate exited with 1');
    expect((await get()).body).toBe('hello v1\n');
    git(work, 'rm', '-q', 'REFUSE');
    git(work, 'commit', '-q', '-m', 'no refuse');
  }, 120_000);

  it('a failing pre-deploy stops the restart with its name and output; the old release keeps serving', async () => {
    await ok('plugin:install', join(base, 'breaker'));
    const r = await dokku('ps:restart', app);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pre-deploy trigger of plugin breaker exited with 3');
    expect(r.stdout + r.stderr).toContain(`breaker says no to ${app}`);
    expect((await get()).status).toBe(200);
    await ok('plugin:disable', 'breaker');
    const list = (await ok('plugin:list')).stdout;
    expect(list).toMatch(/breaker\s+0\.1\.0\s+disabled/);
    await ok('ps:restart', app);
    expect((await get()).status).toBe(200);
  }, 180_000);

  it('update to another commit changes what the plugin does; uninstall removes it; both are events', async () => {
    const u = await ok('plugin:update', 'labeler', labelerV2);
    expect(u.stdout).toContain(`→ ${labelerV2.slice(0, 12)}`);
    await ok('ps:restart', app);
    const inspect = JSON.parse((await ok('ps:inspect', app)).stdout) as Array<{ Config: { Labels: Record<string, string> } }>;
    expect(inspect[0]!.Config.Labels['com.example.plugin']).toBe(`${app}-web-v2`);
    await ok('plugin:uninstall', 'labeler');
    expect(existsSync(join(root, 'lib', 'plugins', 'available', 'labeler'))).toBe(false);
    expect((await dokku('plugin:installed', 'labeler')).code).toBe(1);
    const events = (await ok('events')).stdout;
    expect(events).toContain(`Updated plugin labeler from`);
    expect(events).toContain(`to ${labelerV2.slice(0, 12)}`);
    expect(events).toContain('Disabled plugin breaker');
    expect(events).toContain('Uninstalled plugin labeler');
  }, 180_000);

  it('a tenant runs a plugin command only as its plugin.toml ties it to an app the key holds', async () => {
    const keyDir = makeRoot('dokku-plugin-keys-');
    // The first key is the admin's.
    await ok('ssh-keys:add', 'admin', makeKeyPair(keyDir, 'admin').pub);
    const keys = makeKeyPair(keyDir, 'tenant');
    await ok('ssh-keys:add', 'tenant', keys.pub);
    await ok('acl:add', app, 'tenant');
    await ok('apps:create', `${app}-x`);
    const asTenant = (words: string) => run(compiled, root, [], { env: { ...nginx.env, NAME: 'tenant', FINGERPRINT: keys.fingerprint, SSH_ORIGINAL_COMMAND: words } });
    const mine = await asTenant(`maint:on ${app}`);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toContain(`Maintenance on for ${app}`);
    await eventually(async () => expect((await get()).status).toBe(503));
    expect((await asTenant(`maint:off ${app}`)).code).toBe(0);
    await eventually(async () => expect((await get()).status).toBe(200));
    const other = await asTenant(`maint:on ${app}-x`);
    expect(other.code).toBe(1);
    expect(other.stderr.trimEnd()).toBe(` !     Access denied for key tenant: no access to app ${app}-x`);
    // Not declared in plugin.toml: the plugin's own word for which argument is the app is missing.
    const undeclared = await asTenant(`maint:status ${app}`);
    expect(undeclared.stderr).toContain('a plugin command its plugin.toml does not tie to an app');
    for (const words of [`plugin:install ${join(base, 'breaker')}`, 'plugin:disable maint', 'plugin:uninstall maint', 'plugin:update maint', 'plugin:trigger post-deploy x', 'plugin:list']) {
      const r = await asTenant(words);
      expect(r.code, words).toBe(1);
      expect(r.stderr, words).toContain('Access denied for key tenant');
    }
    await ok('apps:destroy', `${app}-x`, '--force');
  }, 120_000);

  it('refuses bad input in one line, with nothing installed', async () => {
    const missing = await dokku('plugin:install', join(base, 'does-not-exist'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    const builtIn = await dokku('plugin:install', join(base, 'recorder'), '--name', 'postgres');
    expect(builtIn.stderr).toContain('postgres is built into dokku');
    mkdirSync(join(base, 'not-a-plugin'));
    writeFileSync(join(base, 'not-a-plugin', 'README'), 'hi');
    const bad = await dokku('plugin:install', join(base, 'not-a-plugin'));
    expect(bad.stderr).toContain('is not a dokku plugin: no plugin.toml');
    expect(existsSync(join(root, 'lib', 'plugins', 'available', 'not-a-plugin'))).toBe(false);
    const list = JSON.parse((await ok('plugin:list', '--format', 'json')).stdout) as Array<{ name: string }>;
    expect(list.map((p) => p.name)).toEqual(['breaker', 'gate', 'maint', 'recorder']);
  }, 60_000);
});
