/**
 * Run settings benchmark, on the real Docker engine with the compiled `dist/dokku` and a temporary
 * DOKKU_ROOT. It prints:
 *   - the time a deploy (`ps:restart`, a new container each time) takes with 0, 5 and 20 storage
 *     mounts, then with 0, 5 and 20 attached networks: it should stay flat;
 *   - the time from `resource:limit --memory` to the limit in force in `docker inspect` (the command
 *     releases and deploys).
 *
 * Run: bun bench/run-settings.ts [--runs 3]
 * Needs dist/ from `npm run build`, a Docker daemon, and busybox-static (the test image is made offline).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { commitAppImage } from '../test/helpers/test-image.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOKKU = process.env.DOKKU_BIN ?? join(REPO, 'dist/dokku');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 3;
const COUNTS = [0, 5, 20];

const root = mkdtempSync(join(tmpdir(), 'bench-run-settings-'));
const env = { ...process.env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib') };
const app = `bench-rs-${Math.random().toString(36).slice(2, 8)}`;
const networks: string[] = [];
const docker = new Docker();

function dokku(...words: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(DOKKU, words, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { ms: performance.now() - started, stdout: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const image = await commitAppImage(docker, `dokku-test/bench-rs:${Math.random().toString(36).slice(2, 8)}`, 'mkdir -p /www /app && echo ok > /www/index.html && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile');
try {
  dokku('apps:create', app);
  dokku('checks:disable', app);
  dokku('git:from-image', app, image);
  const deployTime = () => {
    dokku('ps:restart', app); // releases the new settings
    return median(Array.from({ length: RUNS }, () => dokku('ps:restart', app).ms));
  };
  const shape = async () => {
    const info = await docker.getContainer(`${app}.web.1`).inspect();
    return `${info.HostConfig.Binds?.length ?? 0} binds, ${Object.keys(info.NetworkSettings.Networks ?? {}).length - 1} extra networks`;
  };
  console.log(`── deploy (ps:restart) with N storage mounts, median of ${RUNS}`);
  let mounted = 0;
  for (const n of COUNTS) {
    for (; mounted < n; mounted++) {
      dokku('storage:create', `${app}-m${mounted}`, '--app', app, '--chown', 'false');
      dokku('storage:mount', app, `${app}-m${mounted}`, '--container-dir', `/data/m${mounted}`);
    }
    const t = deployTime();
    console.log(`   ${String(n).padStart(2)} mounts:   ${(t / 1000).toFixed(2)} s   (${await shape()})`);
  }
  for (let i = 0; i < mounted; i++) dokku('storage:unmount', app, `${app}-m${i}`);
  console.log(`── deploy (ps:restart) with N attached networks (attach-post-create), median of ${RUNS}`);
  for (const n of COUNTS) {
    while (networks.length < n) {
      const net = `${app}-n${networks.length}`;
      dokku('network:create', net);
      networks.push(net);
    }
    dokku('network:set', app, 'attach-post-create', ...networks.slice(0, n));
    const t = deployTime();
    console.log(`   ${String(n).padStart(2)} networks: ${(t / 1000).toFixed(2)} s   (${await shape()})`);
  }

  console.log(`── resource:limit --memory to the limit in force, median of ${RUNS}`);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const mb = 256 + 64 * i;
    const { ms } = dokku('resource:limit', '--memory', String(mb), app);
    const memory = (await docker.getContainer(`${app}.web.1`).inspect()).HostConfig.Memory;
    if (memory !== mb * 1024 * 1024) throw new Error(`limit not in force after resource:limit: ${memory}`);
    times.push(ms);
  }
  console.log(`   ${(median(times) / 1000).toFixed(2)} s (the command returns with the new container serving)`);
} finally {
  spawnSync(DOKKU, ['apps:destroy', app, '--force'], { env });
  for (const net of networks) spawnSync(DOKKU, ['network:destroy', net, '--force'], { env });
  await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
