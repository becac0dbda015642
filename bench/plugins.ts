/**
 * What plugins cost a deploy, on the real Docker engine with the compiled `dist/dokku`: the same
 * image app deployed with 0 and then 10 enabled plugins, each handling every trigger dokku fires
 * (lib/plugin-triggers.ts) with `exit 0`. Prints, median of --runs:
 *   - `git:from-archive` of a Dockerfile app (build, release and deploy triggers: 10 of them);
 *   - `ps:restart` (the deploy triggers: pre-deploy, docker-args-deploy, check-deploy, post-deploy);
 *   - one trigger fired on its own (`plugin:trigger`), which is the cost per trigger.
 * Run: bun bench/plugins.ts [--runs 5]. Needs dist/ from `npm run build`, a Docker daemon and
 * busybox-static (the test image is made offline).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { TRIGGERS } from '../src/lib/plugin-triggers.ts';
import { commitAppImage } from '../test/helpers/test-image.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = process.env.DOKKU_BIN ?? join(REPO, 'dist/dokku');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;
const PLUGINS = 10;

const root = mkdtempSync(join(tmpdir(), 'bench-plugins-'));
const env = { ...process.env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib'), DOKKU_NGINX_CONF_DIR: join(root, 'nginx'), DOKKU_NGINX_TEST: 'true', DOKKU_NGINX_RELOAD: 'true' };
const app = `bench-plg-${Math.random().toString(36).slice(2, 8)}`;
const docker = new Docker();

function dokku(...words: string[]): number {
  const started = performance.now();
  const r = spawnSync(DOKKU, words, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return performance.now() - started;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const times = (n: number, f: () => number) => median(Array.from({ length: n }, f));

const image = await commitAppImage(docker, `dokku-test/bench-plg:${Math.random().toString(36).slice(2, 8)}`, 'mkdir -p /www && echo ok > /www/index.html');
const src = mkdtempSync(join(tmpdir(), 'bench-plg-src-'));
writeFileSync(join(src, 'Dockerfile'), `FROM ${image}\nEXPOSE 5000\nCMD ["httpd", "-f", "-p", "5000", "-h", "/www"]\n`);
const tar = join(root, 'src.tar');
spawnSync('tar', ['-cf', tar, '-C', src, '.']);
mkdirSync(env.DOKKU_NGINX_CONF_DIR, { recursive: true });

function measure(): { archive: number; restart: number; trigger: number } {
  return {
    archive: times(Math.max(1, Math.ceil(RUNS / 2)), () => dokku('git:from-archive', app, tar)),
    restart: times(RUNS, () => dokku('ps:restart', app)),
    trigger: times(RUNS * 4, () => dokku('plugin:trigger', 'post-deploy', app, '5000', '127.0.0.1', image)),
  };
}

try {
  dokku('apps:create', app);
  dokku('checks:disable', app);
  dokku('git:from-archive', app, tar);
  const without = measure();
  for (let i = 0; i < PLUGINS; i++) {
    const dir = join(src, `plugin-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'plugin.toml'), `[plugin]\ndescription = "every trigger, exit 0"\nversion = "1.0.0"\n`);
    for (const name of Object.keys(TRIGGERS)) {
      writeFileSync(join(dir, name), '#!/usr/bin/env bash\nexit 0\n');
      chmodSync(join(dir, name), 0o755);
    }
    dokku('plugin:install', dir, '--name', `noop-${i}`);
  }
  const withPlugins = measure();
  const row = (label: string, a: number, b: number) => console.log(`   ${label.padEnd(34)} ${(a / 1000).toFixed(3)} s   ${(b / 1000).toFixed(3)} s   +${(b - a).toFixed(0)} ms`);
  console.log(`── ${PLUGINS} plugins, each with every trigger (bash, exit 0); median of ${RUNS}`);
  console.log(`   ${''.padEnd(34)} 0 plugins  ${PLUGINS} plugins  added`);
  row('git:from-archive (build + deploy)', without.archive, withPlugins.archive);
  row('ps:restart (deploy)', without.restart, withPlugins.restart);
  row('plugin:trigger post-deploy (one)', without.trigger, withPlugins.trigger);
} finally {
  spawnSync(DOKKU, ['apps:destroy', app, '--force'], { env });
  await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
  rmSync(src, { recursive: true, force: true });
}
