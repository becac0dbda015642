/**
 * The swarm scheduler on a three-node swarm built on this machine: the host's engine is the manager
 * (dokku, nginx and the embedded registry beside it) and two worker engines run in their own
 * network namespaces (test/fixtures/swarm-nodes.sh). The scheduler contract runs on it, then an app
 * with web=3 gets one task per node, and a redeploy, a config:set, a rollback and a drain each
 * finish under load with no failed request; a worker's engine stopping moves its task, nginx with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_BIN, REPO, TARGETS, makeRoot, removeRoots, requireDist, run, type RunResult } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { contractAppSource, schedulerContract, type ContractHarness } from '../../helpers/scheduler-contract.ts';
import { viaNginx } from '../proxy/helpers.ts';
import { keepAliveLoad } from '../../helpers/keep-alive-load.ts';

const nginxBin = requireNginx();
const FIXTURE = join(REPO, 'test/fixtures/swarm-nodes.sh');
const MANAGER = '10.77.0.1';
const REGISTRY_PORT = 15000;
const CERTS = `/etc/docker/certs.d/${MANAGER}:${REGISTRY_PORT}`;

function nodes(...args: string[]): string {
  const r = spawnSync('bash', [FIXTURE, ...args], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`swarm-nodes.sh ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('swarm scheduler on three nodes', () => {
  const root = makeRoot('dokku-swarm-');
  const node = TARGETS.find((t) => t.name === 'node')!;
  let nginx: TestNginx;
  let sources: { good: string; broken: string };
  const dokku = (...words: string[]): Promise<RunResult> => run(node, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const harness = (app: string): ContractHarness => ({
    app,
    domain: `${app}.test`,
    dokku,
    get: async (path = '/') => {
      const r = await viaNginx(nginx.httpPort, `${app}.test`, path);
      return { status: r.status, body: r.body };
    },
  });
  const upstreams = async (app: string): Promise<string[]> => {
    const r = await ok('ps:report', app, '--format', 'json');
    const u = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string>).upstreams ?? '';
    return u ? u.split(' ') : [];
  };
  const hosts = (ups: string[]) => new Set(ups.map((u) => u.split(':')[0]));
  const contract = uniqueName('swc');
  const big = uniqueName('sw3');

  let docker: NonNullable<Awaited<ReturnType<typeof connectDocker>>>;

  beforeAll(async () => {
    requireDist();
    const engine = await connectDocker();
    if (!engine) throw new Error('Docker is needed for the swarm test');
    docker = engine;
    if (process.getuid?.() !== 0) throw new Error('The swarm test makes network namespaces: run it as root');
    nodes('down');
    nodes('up', '2');
    nginx = await startNginx(nginxBin);
    const init = await ok('swarm:init', '--advertise-addr', MANAGER, '--registry-port', String(REGISTRY_PORT));
    expect(init.stdout).toContain(`Starting the registry on ${MANAGER}:${REGISTRY_PORT}`);
    const token = (await ok('swarm:join-token', '--quiet')).stdout.trim();
    expect(token).toMatch(/^SWMTKN-/);
    nodes('join', token, `${MANAGER}:2377`);
    for (let i = 0; i < 60; i++) {
      const list = JSON.parse((await ok('swarm:nodes', '--format', 'json')).stdout) as Array<{ state: string }>;
      if (list.length === 3 && list.every((n) => n.state === 'ready')) break;
      await sleep(1000);
    }
    sources = { good: await contractAppSource(docker), broken: await contractAppSource(docker, { brokenCheck: true }) };
    for (const app of [contract, big]) {
      for (const words of [['apps:create', app], ['domains:add', app, `${app}.test`], ['scheduler:set', app, 'selected', 'swarm'], ['checks:set', app, 'wait', '1'], ['checks:set', app, 'wait-to-retire', '2']]) await ok(...words);
    }
  }, 600_000);

  afterAll(async () => {
    for (const app of [contract, big]) await dokku('apps:destroy', app, '--force').catch(() => undefined);
    // The watcher and the registry were started detached by swarm:init.
    for (const file of [join(root, 'swarm', 'watch.lock'), join(root, 'registry', 'registry.pid')]) {
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      const pid = Number(text.startsWith('{') ? (JSON.parse(text) as { pid: number }).pid : text.trim());
      if (pid > 0) spawnSync('kill', [String(pid)]);
    }
    nodes('down');
    rmSync(CERTS, { recursive: true, force: true });
    nginx?.stop();
    removeRoots();
  }, 300_000);

  it('lists the three nodes, the manager first', async () => {
    const list = JSON.parse((await ok('swarm:nodes', '--format', 'json')).stdout) as Array<{ addr: string; role: string; self: boolean; state: string }>;
    expect(list.map((n) => [n.addr, n.role, n.state])).toEqual([
      [MANAGER, 'manager', 'ready'],
      ['10.77.0.11', 'worker', 'ready'],
      ['10.77.0.12', 'worker', 'ready'],
    ]);
    expect(list[0]!.self).toBe(true);
    const text = (await ok('swarm:nodes')).stdout;
    expect(text).toMatch(/^ID\s+ADDRESS\s+ROLE/);
    expect(text).toContain('manager (leader)');
  });

  describe('scheduler contract: swarm', () => {
    schedulerContract(() => harness(contract), () => sources, 400_000);

    it('records the pushed digest with the release, and a rollback runs that digest', async () => {
      const r = await ok('registry:report', contract, '--format', 'json');
      const report = JSON.parse(r.stdout.trim()) as Record<string, string>;
      expect(report['registry-computed-image-repo']).toBe(`${MANAGER}:${REGISTRY_PORT}/dokku/${contract}`);
      expect(report['registry-pushed-image']).toMatch(new RegExp(`^${MANAGER}:${REGISTRY_PORT}/dokku/${contract}@sha256:[0-9a-f]{64}$`));
      const events = (await ok('events', contract)).stdout;
      expect(events).toMatch(/Pushed v1 image as \S+@sha256:/);
      // v4 rolled back to v1: same image, so no second push of it.
      expect(events).not.toMatch(/Pushed v4 image/);
    }, 60_000);

    it('refuses a host path mount for a swarm app with one line, the release serving on', async () => {
      await ok('storage:mount', contract, '/tmp:/data');
      const r = await dokku('ps:restart', contract);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/storage:mount is a host path \(\/tmp\): a swarm task may run on any node/);
      await ok('storage:unmount', contract, '/tmp:/data');
      expect(await harness(contract).get()).toEqual({ status: 200, body: 'first v4\n' });
    }, 120_000);

    it('drops the registry names of an image no release keeps any more', async () => {
      const repo = `${MANAGER}:${REGISTRY_PORT}/dokku/${contract}`;
      const tags = async () => (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`));
      // v2 (the failed check) was built from other source, so its image is its own.
      expect(await tags()).toContain(`${repo}:v2`);
      await ok('releases:set', contract, 'keep-count', '1');
      await ok('config:set', contract, 'MESSAGE=third');
      expect(await tags()).not.toContain(`${repo}:v2`);
      expect(await tags()).toContain(`${repo}:v1`);
    }, 120_000);
  });

  it('runs web=3 from a git push as one task per node, each answering through nginx', async () => {
    await ok('ps:scale', big, 'web=3');
    await ok('config:set', big, 'MESSAGE=r0', '--no-restart');
    // The app's source as a git repository, pushed through dokku's own git-receive-pack (the path a push over SSH takes).
    const work = mkdtempSync(join(tmpdir(), 'dokku-swarm-git-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: work, encoding: 'utf8' });
    execFileSync('tar', ['-xf', sources.good, '-C', work]);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'web app');
    const push = spawnSync('git', ['-c', 'protocol.ext.allow=always', 'push', `ext::${DIST_BIN} %S ${big}`, 'main'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...nginx.env, DOKKU_ROOT: root, DOKKU_LIB_ROOT: join(root, 'lib') },
      timeout: 300_000,
    });
    rmSync(work, { recursive: true, force: true });
    expect(push.status, push.stderr).toBe(0);
    expect(push.stderr).toMatch(/Pushing v1 of .* to 10\.77\.0\.1:15000/);
    expect(push.stderr).toMatch(/Tasks running: web 3\/3/);
    const ups = await upstreams(big);
    expect(ups).toHaveLength(3);
    expect(hosts(ups)).toEqual(new Set([MANAGER, '10.77.0.11', '10.77.0.12']));
    for (let i = 0; i < 6; i++) expect(await harness(big).get()).toEqual({ status: 200, body: 'r0 v1\n' });
  }, 600_000);

  it('enters a task on the manager, and names the node of one elsewhere', async () => {
    const ps = JSON.parse((await ok('ps:report', big, '--format', 'json')).stdout.trim().split('\n').at(-1)!) as Record<string, string>;
    const slots = Object.keys(ps).filter((k) => k.startsWith('status-web-')).map((k) => Number(k.slice('status-web-'.length)));
    expect(slots.sort()).toEqual([1, 2, 3]);
    const outcomes = await Promise.all(slots.map((n) => dokku('enter', big, `web.${n}`, 'sh', '-c', 'echo "inside $DYNO"')));
    const inside = outcomes.filter((r) => r.code === 0);
    expect(inside).toHaveLength(1);
    expect(inside[0]!.stdout).toMatch(/^inside web\.\d$/m);
    for (const r of outcomes.filter((o) => o.code !== 0)) expect(r.stderr).toMatch(/web\.\d of .* runs on node 10\.77\.0\.1[12]: enter it there \(docker exec -it [0-9a-f]{12,} sh\)/);
  }, 60_000);

  it('redeploys, changes config, rolls back and drains a node under load with no failed request', async () => {
    const client = keepAliveLoad(nginx.httpPort, `${big}.test`);
    const seen: string[] = [];
    const served = async () => (await harness(big).get()).body.trim();
    try {
      await sleep(500);
      let t = Date.now();
      await ok('git:from-archive', big, sources.good);
      seen.push(await served());
      console.log(`redeploy web=3: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await ok('config:set', big, 'MESSAGE=r1');
      seen.push(await served());
      await ok('rollback', big, 'v1');
      seen.push(await served());
      t = Date.now();
      const drain = await ok('swarm:drain', '10.77.0.12');
      console.log(`drain: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      expect(drain.stdout).toContain('Tasks of 10.77.0.12 moved');
      const ups = await upstreams(big);
      expect(ups).toHaveLength(3);
      expect(hosts(ups).has('10.77.0.12')).toBe(false);
      await sleep(3000);
    } finally {
      const result = await client.stop();
      console.log(`load: ${result.ok} requests, ${result.failures.length} failed`);
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(200);
      expect(new Set(result.bodies.keys())).toEqual(new Set(['r0 v1', 'r0 v2', 'r1 v3', 'r0 v4']));
    }
    expect(seen).toEqual(['r0 v2', 'r1 v3', 'r0 v4']);
    await ok('swarm:activate', '10.77.0.12');
    const events = (await ok('events', '-n', '100000')).stdout;
    expect(events).toMatch(/SwarmInitialized\s+Initialized the swarm on 10\.77\.0\.1 with the registry 10\.77\.0\.1:15000/);
    expect(events).toMatch(/SwarmNodeDrained\s+Drained swarm node \w+ \(10\.77\.0\.12\)/);
    expect(events).toMatch(/SwarmNodeActivated\s+Activated swarm node \w+ \(10\.77\.0\.12\)/);
  }, 900_000);

  it("moves a stopped worker's task elsewhere, and nginx follows", async () => {
    const before = await upstreams(big);
    expect(hosts(before).has('10.77.0.11')).toBe(true);
    const t = Date.now();
    nodes('stop-node', '1');
    try {
      let ups = before;
      while (Date.now() - t < 120_000) {
        ups = await upstreams(big);
        if (ups.length === 3 && !hosts(ups).has('10.77.0.11')) break;
        await sleep(1000);
      }
      console.log(`worker stopped: its task served elsewhere after ${((Date.now() - t) / 1000).toFixed(1)} s`);
      expect(ups).toHaveLength(3);
      expect(hosts(ups).has('10.77.0.11')).toBe(false);
      expect(await harness(big).get()).toEqual({ status: 200, body: 'r0 v4\n' });
    } finally {
      nodes('start-node', '1');
    }
  }, 300_000);

  it('destroys a swarm app with its services, task containers and registry names', async () => {
    const r = await ok('apps:destroy', big, '--force');
    expect(r.stderr).toBe('');
    expect(await docker.listServices({ filters: { label: [`com.dokku.app=${big}`] } })).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { label: [`com.dokku.swarm-app=${big}`] } })).toEqual([]);
    const names = (await docker.listImages()).flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]);
    expect(names.filter((n) => n.includes(`/dokku/${big}`) || n.startsWith(`dokku/${big}:`))).toEqual([]);
  }, 120_000);
});
