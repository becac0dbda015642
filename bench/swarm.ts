/**
 * Swarm benchmark: the same app source (the scheduler contract's busybox app) deployed on
 * docker-local and on a three-node swarm built on this machine (the host's engine is the manager,
 * two worker engines run in network namespaces: test/fixtures/swarm-nodes.sh), with the compiled
 * `dist/dokku`, a temporary DOKKU_ROOT and a private nginx. For each scheduler it prints:
 *   1. push to serving: `git:from-archive` from the command's start until the new release answers
 *      200 through nginx (a first deploy, then a second one of the same source), and when the
 *      command itself returned;
 *   2. rolling updates at web=3 (`ps:scale web=3` first): a redeploy with `git:from-archive` and a
 *      `config:set`, timed the same way;
 *   3. failed requests during every update after the first deploy: GETs through nginx with the
 *      app's Host header on a few keep-alive connections, from before the command until the old
 *      release has retired. Anything but a 200 is a failure, and so is a socket error; a reused
 *      keep-alive connection reset before any byte of the response (an old nginx worker closing it
 *      at a reload) is sent once more on a new connection, as browsers do, and a failure of that
 *      counts. Target: 0.
 * First it shows the host ports the manager's engine gives one published port on 0.0.0.0 and on
 * [::]: Docker 20.10 allocates them separately, and a host-mode task there reports both.
 * Run (as root, with docker.io, nginx, docker-registry and busybox-static installed):
 *   npx bun bench/swarm.ts [--runs 1]   (--runs: how often the second deploy and each web=3 update repeat)
 * It waits (up to 15 minutes) until no other swarm of the fixture is up, and takes everything it
 * made down again, on failure too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { LABEL } from '../src/lib/labels.ts';
import { makeRoot, REPO, removeRoots, requireDist, run, TARGETS, type RunResult } from '../test/helpers/cli.ts';
import { connectDocker, uniqueName } from '../test/helpers/docker.ts';
import { requireNginx, startNginx, type TestNginx } from '../test/helpers/nginx.ts';
import { keepAliveLoad, type LoadResult } from '../test/helpers/keep-alive-load.ts';
import { contractAppSource } from '../test/helpers/scheduler-contract.ts';
import { ensureTestImage } from '../test/helpers/test-image.ts';
import { viaNginx } from '../test/integration/proxy/helpers.ts';

const FIXTURE = join(REPO, 'test/fixtures/swarm-nodes.sh');
const MANAGER = '10.77.0.1';
const WORKERS = ['10.77.0.11', '10.77.0.12'];
const REGISTRY_PORT = 15001;
const CERTS = `/etc/docker/certs.d/${MANAGER}:${REGISTRY_PORT}`;
const CONNECTIONS = 4;
const WAIT_TO_RETIRE = 2;
const QUIET_WAIT_MS = 15 * 60_000;

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 1;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs wants a whole number of at least 1');

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sec = (ms: number) => (ms / 1000).toFixed(2);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function nodes(...args: string[]): string {
  const r = spawnSync('bash', [FIXTURE, ...args], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`swarm-nodes.sh ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// ── Waiting for another swarm of the fixture to be gone ───────────────────────────────────────

/** No swarm on the host engine, and nothing of the fixture's (namespaces, veths, bridge) left. */
function swarmQuiet(): boolean {
  const state = spawnSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).stdout.trim();
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return state === 'inactive' && !/^dkswarm/m.test(netns) && !/^\d+: dkswarm/m.test(links);
}

/** Resolves with how long it waited; quiet twice in a row, as a teardown removes the bridge last. */
async function waitForQuietSwarm(): Promise<number> {
  const started = Date.now();
  let quietPolls = 0;
  for (;;) {
    quietPolls = swarmQuiet() ? quietPolls + 1 : 0;
    if (quietPolls >= 2) return Date.now() - started - 5000;
    if (Date.now() - started > QUIET_WAIT_MS) throw new Error('Another swarm of the fixture stayed up for 15 minutes; not starting');
    if (quietPolls === 0 && Date.now() - started < 6000) console.log('waiting for another swarm on this host to go away…');
    await sleep(5000);
  }
}

// ── Load: GETs on a few keep-alive connections through nginx ──────────────────────────────────

// ── One scheduler's app ────────────────────────────────────────────────────────────────────────

type Kind = 'docker-local' | 'swarm';

interface Timed {
  served: number;
  returned: number;
  /** From the command's start until only one release's processes were left. */
  retired?: number;
}

interface Phase {
  name: string;
  runs: Timed[];
  load?: LoadResult;
}

class Bench {
  readonly host: string;
  private version = 0;
  private message = 'bench';
  readonly phases: Phase[] = [];

  constructor(
    readonly kind: Kind,
    readonly app: string,
    private readonly docker: Docker,
    private readonly nginx: TestNginx,
    private readonly dokku: (...words: string[]) => Promise<RunResult>,
  ) {
    this.host = `${app}.test`;
  }

  async ok(...words: string[]): Promise<RunResult> {
    const r = await this.dokku(...words);
    if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  }

  async create(): Promise<void> {
    await this.ok('apps:create', this.app);
    await this.ok('domains:add', this.app, this.host);
    if (this.kind === 'swarm') await this.ok('scheduler:set', this.app, 'selected', 'swarm');
    await this.ok('checks:set', this.app, 'wait', '1');
    await this.ok('checks:set', this.app, 'wait-to-retire', String(WAIT_TO_RETIRE));
    await this.ok('config:set', this.app, `MESSAGE=${this.message}`, '--no-restart');
  }

  /** The releases the app's web processes run: swarm services, or docker-local containers. */
  private async releases(): Promise<Set<string>> {
    const filters = { label: [`${LABEL.app}=${this.app}`] };
    if (this.kind === 'swarm') {
      const services = await this.docker.listServices({ filters });
      return new Set(services.map((s) => s.Spec?.Labels?.[LABEL.release] ?? '?'));
    }
    const containers = await this.docker.listContainers({ filters });
    return new Set(containers.filter((c) => c.Labels[LABEL.oneOff] === undefined).map((c) => c.Labels[LABEL.release] ?? '?'));
  }

  /**
   * Runs a command that makes a new release (`body` is what it answers) and times it: until the
   * release answers through nginx, until the command returns, and until the old release is gone.
   */
  async measure(words: string[], body: string, opts: { retire?: boolean } = {}): Promise<Timed> {
    const started = Date.now();
    let exitedAt: number | undefined;
    const command = this.dokku(...words).then((r) => {
      exitedAt = Date.now();
      return r;
    });
    let servedAt: number | undefined;
    let last = '';
    while (servedAt === undefined) {
      const reply = await viaNginx(this.nginx.httpPort, this.host, '/', 5000).catch((err: Error) => ({ status: 0, body: err.message }));
      last = `${reply.status} ${reply.body.trim()}`;
      if (reply.status === 200 && reply.body.trim() === body) servedAt = Date.now();
      else if (exitedAt !== undefined && Date.now() - exitedAt > 30_000) break;
      else await sleep(10);
    }
    const r = await command;
    if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    if (servedAt === undefined) throw new Error(`${this.app} never answered '${body}' after dokku ${words.join(' ')} (last: ${last})\n${r.stdout}`);
    const timed: Timed = { served: servedAt - started, returned: exitedAt! - started };
    if (opts.retire) {
      const until = Date.now() + 60_000;
      while ((await this.releases()).size > 1 && Date.now() < until) await sleep(100);
      const left = await this.releases();
      if (left.size > 1) throw new Error(`${this.app}: releases ${[...left].join(', ')} still running 60 s after dokku ${words.join(' ')}`);
      timed.retired = Date.now() - started;
    }
    return timed;
  }

  /** A phase of `RUNS` updates under load, from half a second before the first until a second after the last retired. */
  private async underLoad(name: string, step: () => Promise<Timed>, runs = RUNS): Promise<void> {
    const client = keepAliveLoad(this.nginx.httpPort, this.host, CONNECTIONS);
    const phase: Phase = { name, runs: [] };
    this.phases.push(phase);
    try {
      await sleep(500);
      for (let i = 0; i < runs; i++) phase.runs.push(await step());
      await sleep(1000);
    } finally {
      phase.load = await client.stop();
    }
  }

  private deploy(tar: string): Promise<Timed> {
    this.version++;
    return this.measure(['git:from-archive', this.app, tar], `${this.message} v${this.version}`, { retire: true });
  }

  async all(tar: string): Promise<void> {
    await this.create();
    const first = await this.measure(['git:from-archive', this.app, tar], `${this.message} v${++this.version}`);
    this.phases.push({ name: 'first deploy', runs: [first] });
    await this.underLoad('second deploy', () => this.deploy(tar));
    await this.underLoad(
      'ps:scale web=3',
      async () => {
        const started = Date.now();
        await this.ok('ps:scale', this.app, 'web=3');
        const returned = Date.now() - started;
        return { served: returned, returned };
      },
      1,
    );
    await this.checkSpread();
    await this.underLoad('redeploy, web=3', () => this.deploy(tar));
    let n = 0;
    await this.underLoad('config:set, web=3', () => {
      this.message = `bench${++n}`;
      this.version++;
      return this.measure(['config:set', this.app, `MESSAGE=${this.message}`], `${this.message} v${this.version}`, { retire: true });
    });
    await this.checkSpread();
  }

  /** web=3 is three upstreams in nginx's view; on the swarm one per node. */
  private async checkSpread(): Promise<void> {
    const r = await this.ok('ps:report', this.app, '--format', 'json');
    const ups = ((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string>).upstreams ?? '').split(' ').filter(Boolean);
    if (ups.length !== 3) throw new Error(`${this.app}: ${ups.length} upstreams after ps:scale web=3 (${ups.join(' ')})`);
    const hosts = new Set(ups.map((u) => u.split(':')[0]));
    if (this.kind === 'swarm' && hosts.size !== 3) console.log(`   note: ${this.app}'s 3 web tasks run on ${hosts.size} node(s): ${ups.join(' ')}`);
  }
}

// ── Report ─────────────────────────────────────────────────────────────────────────────────────

function report(local: Bench, swarm: Bench): number {
  const names = local.phases.map((p) => p.name);
  const cell = (p: Phase | undefined, f: (t: Timed) => number | undefined) => {
    const xs = (p?.runs ?? []).map(f).filter((x): x is number => x !== undefined);
    return xs.length ? `${sec(median(xs))} s` : '-';
  };
  const runsNote = RUNS > 1 ? `   (median of ${RUNS} where repeated)` : '';
  console.log(`\n── ${"time from the command's start".padEnd(46)} ${'docker-local'.padStart(10)} ${'swarm'.padStart(10)}${runsNote}`);
  for (const name of names) {
    const l = local.phases.find((p) => p.name === name);
    const s = swarm.phases.find((p) => p.name === name);
    const row = (label: string, f: (t: Timed) => number | undefined) => console.log(`   ${label.padEnd(46)} ${cell(l, f).padStart(10)} ${cell(s, f).padStart(10)}`);
    if (name === 'ps:scale web=3') {
      row(`${name}: command returned`, (t) => t.returned);
      continue;
    }
    row(`${name}: new release serving`, (t) => t.served);
    row('   command returned', (t) => t.returned);
    if (l?.runs.some((t) => t.retired !== undefined)) row('   old release retired', (t) => t.retired);
    if (RUNS > 1 && (l?.runs.length ?? 0) > 1) {
      console.log(`   ${'   runs (serving)'.padEnd(46)} ${[l, s].map((p) => (p?.runs ?? []).map((t) => sec(t.served)).join(', ')).join('  |  ')}`);
    }
  }
  console.log(`\n── requests during the updates (${CONNECTIONS} keep-alive connections through nginx, Host header, from before each command until its old release retired)`);
  let swarmFailed = 0;
  for (const b of [local, swarm]) {
    for (const p of b.phases.filter((x) => x.load)) {
      const r = p.load!;
      if (b === swarm) swarmFailed += r.failures.length;
      const bodies = [...r.bodies].map(([k, v]) => `'${k}' ×${v}`).join(', ');
      console.log(`   ${b.kind.padEnd(12)} ${p.name.padEnd(20)} ${String(r.ok + r.failures.length).padStart(6)} requests, ${String(r.failures.length).padStart(3)} failed, ${r.retried} resent after a keep-alive reset   [${bodies}]`);
      for (const f of r.failures.slice(0, 10)) console.log(`      ${f}`);
      if (r.failures.length > 10) console.log(`      … and ${r.failures.length - 10} more`);
    }
  }
  console.log(`   failed requests during swarm updates: ${swarmFailed}   ${swarmFailed === 0 ? 'ok' : 'MISSED'} (target 0)`);
  return swarmFailed;
}

// ── Main ───────────────────────────────────────────────────────────────────────────────────────

requireDist();
const nginxBin = requireNginx();
if (process.getuid?.() !== 0) throw new Error('The swarm benchmark makes network namespaces: run it as root');
const docker = await connectDocker();

const waited = await waitForQuietSwarm();
const root = makeRoot('dokku-bench-swarm-');
let nginx: TestNginx | undefined;
let source: string | undefined;
const apps: string[] = [];
let cleaning: Promise<void> | undefined;

/**
 * The host ports this engine gives one published port on 0.0.0.0 and on [::], which Docker 20.10
 * allocates separately: a host-mode swarm task on this node reports both in its PortStatus.
 */
async function dualStackPorts(docker: Docker): Promise<string[]> {
  const c = await docker.createContainer({
    Image: await ensureTestImage(docker),
    Cmd: ['sleep', '30'],
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostPort: '' }] } },
  });
  try {
    await c.start();
    const bindings = ((await c.inspect()).NetworkSettings.Ports['5000/tcp'] ?? []) as Array<{ HostIp: string; HostPort: string }>;
    return bindings.map((b) => `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`);
  } finally {
    await c.remove({ force: true });
  }
}

/** On a failure, before teardown: where the apps' tasks were, their published ports, and whether those answer now. */
function diagnose(names: string[]): void {
  const sh = (cmd: string[]) => {
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', timeout: 30_000 });
    return `${r.stdout}${r.stderr}`.trim();
  };
  console.error('\n── state at the failure');
  console.error(sh(['docker', 'node', 'ls']));
  for (const app of names) {
    const ids = sh(['docker', 'service', 'ls', '-q', '--filter', `label=${LABEL.app}=${app}`]).split('\n').filter(Boolean);
    for (const id of ids) {
      console.error(sh(['docker', 'service', 'ps', '--no-trunc', '--format', '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}} ports={{.Ports}}', id]));
      const tasks = sh(['docker', 'service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', id]).split('\n').filter(Boolean);
      for (const task of tasks) {
        const info = sh(['docker', 'inspect', '--format', '{{.NodeID}} {{json .Status.PortStatus}} {{.Status.State}}', task]);
        const node = sh(['docker', 'node', 'inspect', '--format', '{{.Status.Addr}}', info.split(' ')[0]!]);
        const port = /"PublishedPort":(\d+)/.exec(info)?.[1];
        const probe = port ? sh(['curl', '-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${node}:${port}/`]) : 'no published port';
        console.error(`   task ${task.slice(0, 12)} on ${node}: ${info}; GET now: ${probe}`);
      }
    }
  }
}

function killFromFile(file: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const pid = Number(text.startsWith('{') ? (JSON.parse(text) as { pid: number }).pid : text.trim());
  if (pid > 0) spawnSync('kill', [String(pid)]);
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const step = async (what: string, f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        console.error(`cleanup: ${what} failed: ${(err as Error).message}`);
      }
    };
    for (const app of apps) {
      await step(`apps:destroy ${app}`, async () => {
        const r = await run(compiled, root, ['apps:destroy', app, '--force'], { env: nginx?.env });
        if (r.code !== 0 || r.stderr.trim()) console.error(`cleanup: apps:destroy ${app} exited ${r.code}\n${r.stdout}${r.stderr}`);
      });
    }
    // The watcher and the registry were started detached by swarm:init.
    await step('stopping swarm:watch', () => killFromFile(join(root, 'swarm', 'watch.lock')));
    await step('stopping the registry', () => killFromFile(join(root, 'registry', 'registry.pid')));
    await step('swarm-nodes.sh down', () => nodes('down'));
    for (const app of apps) {
      // What the app left in Docker (an image still tagged for the registry, say) goes too, and is told.
      await step(`removing what ${app} left`, async () => {
        const images = await docker.listImages({ filters: { label: [`${LABEL.app}=${app}`] } });
        for (const image of images) {
          console.error(`cleanup: apps:destroy ${app} left image ${image.RepoTags?.join(' ') || image.Id}; removing it`);
          await docker.getImage(image.Id).remove({ force: true });
        }
      });
    }
    await step(`removing ${CERTS}`, () => rmSync(CERTS, { recursive: true, force: true }));
    await step('stopping nginx', () => nginx?.stop());
    await step('removing the source', () => source && rmSync(dirname(source), { recursive: true, force: true }));
    await step('removing the root', () => removeRoots());
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void cleanup().finally(() => process.exit(130)));

try {
  nodes('down');
  nodes('up', '2');
  nginx = await startNginx(nginxBin);
  const env = nginx.env;
  const dokku = (...words: string[]) => run(compiled, root, words, { env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    if (r.code !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  };
  await ok('swarm:init', '--advertise-addr', MANAGER, '--registry-port', String(REGISTRY_PORT));
  const token = (await ok('swarm:join-token', '--quiet')).stdout.trim();
  nodes('join', token, `${MANAGER}:2377`);
  let list: Array<{ addr: string; state: string }> = [];
  for (let i = 0; i < 60; i++) {
    list = JSON.parse((await ok('swarm:nodes', '--format', 'json')).stdout) as typeof list;
    if (list.length === 3 && list.every((n) => n.state === 'ready')) break;
    await sleep(1000);
  }
  if (list.length !== 3 || !list.every((n) => n.state === 'ready')) throw new Error(`the swarm did not get 3 ready nodes: ${JSON.stringify(list)}`);
  source = await contractAppSource(docker);
  const dual = await dualStackPorts(docker);
  const dualNote = new Set(dual.map((d) => d.slice(d.lastIndexOf(':') + 1))).size > 1 ? `; MISMATCH, tasks on the manager get two different ports` : '';

  console.log(`dokku swarm benchmark: the scheduler contract's busybox app, ${compiled.command}`);
  console.log(`swarm: manager ${MANAGER} (this host's engine) + workers ${WORKERS.join(', ')}; registry ${MANAGER}:${REGISTRY_PORT}; DOKKU_ROOT ${root}`);
  console.log(`one published port on the manager's engine: ${dual.join(' and ')}${dualNote}`);
  console.log(`checks wait 1 s, wait-to-retire ${WAIT_TO_RETIRE} s on both schedulers${waited > 0 ? `; waited ${sec(waited)} s for another swarm to go away first` : ''}`);

  const local = new Bench('docker-local', uniqueName('bsl'), docker, nginx, dokku);
  const swarm = new Bench('swarm', uniqueName('bsw'), docker, nginx, dokku);
  for (const b of [local, swarm]) {
    apps.push(b.app);
    await b.all(source);
  }
  report(local, swarm);
} catch (err) {
  if (apps.length) diagnose(apps);
  throw err;
} finally {
  await cleanup();
}
if (!swarmQuiet()) console.error('warning: the host still shows a swarm or fixture namespaces after cleanup');
// At once, rather than when the Docker client's idle keep-alive sockets time out.
process.exit(0);
