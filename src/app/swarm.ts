import type Docker from 'dockerode';
import { isIP } from 'node:net';
import { UserError } from '../lib/errors.ts';
import { connectDocker } from '../lib/docker-client.ts';
import { registryServerProblem } from '../lib/schedulers.ts';
import { detail, step } from '../lib/output.ts';
import type { Upstream } from '../lib/types.ts';
import { GLOBAL_STREAM, type DomainEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { listApps } from '../state/queries.ts';
import { getRuntime, setting } from '../state/release-queries.ts';
import { registryLogin } from '../state/swarm-state.ts';
import type { Context } from './context.ts';
import { setSetting } from './settings.ts';
import { embeddedRegistry, ensureRegistry, ensureWatcher, registryCertificate, setUpRegistry, watchLockPath } from './swarm-daemons.ts';
import { makePipeline, selectedScheduler } from './wiring.ts';
import type { Pipeline } from './pipeline.ts';
import { acquireLock } from '../lib/lock.ts';
import { sleep } from '../runtime/probes.ts';
import { nodeAddress } from '../runtime/swarm-tasks.ts';
import { LABEL } from '../lib/labels.ts';

/**
 * `swarm:*` and `registry:*`: thin use cases over the engine's own swarm API (through dockerode)
 * and Debian's registry. The engine keeps the swarm's state; the log records each change made here.
 */

async function record(ctx: Context, events: DomainEvent[]): Promise<void> {
  execute(await ctx.store(), GLOBAL_STREAM, () => null, () => events, ctx.actor);
}

interface SwarmInfo {
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  NodeID?: string;
  NodeAddr?: string;
}

async function swarmInfo(docker: Docker): Promise<SwarmInfo> {
  return (((await docker.info()) as { Swarm?: SwarmInfo }).Swarm ?? {});
}

async function manager(ctx: Context): Promise<Docker> {
  const docker = await connectDocker(ctx.settings);
  const info = await swarmInfo(docker);
  if (info.LocalNodeState !== 'active' || !info.ControlAvailable) throw new UserError('This Docker engine is not a swarm manager: run swarm:init first');
  return docker;
}

export interface InitOptions {
  advertiseAddr: string;
  /** Port of the embedded registry; none when `registry: false`. */
  registryPort: number;
  registry: boolean;
}

export function checkAdvertiseAddr(addr: string): string {
  if (isIP(addr) !== 4) throw new UserError(`Invalid --advertise-addr '${addr.slice(0, 64)}': an IPv4 address of this host that the other nodes reach`);
  return addr;
}

/**
 * Makes this engine a swarm manager (or finds it one), starts the embedded registry on the
 * advertised address unless one is set already, and starts `swarm:watch`.
 */
export async function initSwarm(ctx: Context, opts: InitOptions): Promise<void> {
  const say = ctx.io.out;
  const docker = await connectDocker(ctx.settings);
  let info = await swarmInfo(docker);
  if (info.LocalNodeState === 'active') {
    if (!info.ControlAvailable) throw new UserError('This engine is a swarm worker: run swarm:init on a manager');
    say(step(`This engine is already a swarm manager (node ${info.NodeID?.slice(0, 12)}, ${info.NodeAddr})`));
  } else {
    say(step(`Initializing the swarm on ${opts.advertiseAddr}`));
    await docker.swarmInit({ ListenAddr: `${opts.advertiseAddr}:2377`, AdvertiseAddr: opts.advertiseAddr, ForceNewCluster: false });
    info = await swarmInfo(docker);
  }
  const { db } = await ctx.store();
  let registry: string | undefined;
  const configured = setting(db, '', 'registry', 'server');
  if (opts.registry && (!configured || configured === embeddedRegistry(ctx.settings))) {
    say(step(`Starting the registry on ${opts.advertiseAddr}:${opts.registryPort}`));
    registry = await setUpRegistry(ctx.settings, opts.advertiseAddr, opts.registryPort);
    await setSetting(ctx, undefined, 'registry', 'server', registry);
    say(detail(`Images of swarm apps are pushed to ${registry}; nodes trust it through ${ctx.settings.dockerCertsDir}/${registry}/ca.crt`));
  } else if (configured) {
    say(detail(`Images of swarm apps are pushed to ${configured} (registry:set)`));
  }
  await record(ctx, [{ type: 'SwarmInitialized', data: { nodeId: info.NodeID ?? '', advertiseAddr: info.NodeAddr ?? opts.advertiseAddr, ...(registry ? { registry } : {}) } }]);
  ensureWatcher(ctx.settings);
  say(step('Swarm ready: add nodes with the command swarm:join-token prints'));
}

/** What a new node runs to join, and what it must trust to pull from the embedded registry. */
export async function joinToken(ctx: Context, role: 'worker' | 'manager'): Promise<{ token: string; command: string; registry?: string; certificate?: string }> {
  const docker = await manager(ctx);
  const swarm = (await docker.swarmInspect()) as { JoinTokens?: { Worker?: string; Manager?: string } };
  const token = (role === 'worker' ? swarm.JoinTokens?.Worker : swarm.JoinTokens?.Manager) ?? '';
  const info = await swarmInfo(docker);
  const registry = embeddedRegistry(ctx.settings);
  const certificate = registryCertificate(ctx.settings);
  return { token, command: `docker swarm join --token ${token} ${info.NodeAddr}:2377`, ...(registry ? { registry } : {}), ...(certificate ? { certificate } : {}) };
}

export interface NodeRow {
  id: string;
  hostname: string;
  addr: string;
  role: string;
  availability: string;
  state: string;
  manager: boolean;
  leader: boolean;
  engine: string;
  self: boolean;
}

type RawNode = {
  ID: string;
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string };
  Version?: { Index?: number };
};


export async function listNodes(ctx: Context): Promise<NodeRow[]> {
  const docker = await manager(ctx);
  const self = (await swarmInfo(docker)).NodeID;
  const nodes = (await docker.listNodes()) as RawNode[];
  return nodes
    .map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      addr: nodeAddress(n),
      role: n.Spec?.Role ?? '',
      availability: n.Spec?.Availability ?? '',
      state: n.Status?.State ?? '',
      manager: n.Spec?.Role === 'manager',
      leader: n.ManagerStatus?.Leader === true,
      engine: n.Description?.Engine?.EngineVersion ?? '',
      self: n.ID === self,
    }))
    .sort((a, b) => Number(b.manager) - Number(a.manager) || a.addr.localeCompare(b.addr, 'en', { numeric: true }));
}

/** A node named by its ID (or a unique prefix of it, as docker takes), its address or its hostname. */
async function findNode(docker: Docker, word: string): Promise<RawNode> {
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(word)) throw new UserError(`Invalid node '${word.slice(0, 64)}': a node ID, address or hostname (swarm:nodes lists them)`);
  const nodes = (await docker.listNodes()) as RawNode[];
  const exact = nodes.filter((n) => n.ID === word || nodeAddress(n) === word);
  const matches = exact.length ? exact : nodes.filter((n) => n.ID.startsWith(word) || n.Description?.Hostname === word);
  if (matches.length === 0) throw new UserError(`No swarm node ${word} (swarm:nodes lists them)`);
  if (matches.length > 1) throw new UserError(`${word} names ${matches.length} nodes: use a node ID or address (swarm:nodes lists them)`);
  return matches[0]!;
}

/**
 * `swarm:drain` / `swarm:activate`: sets the node's availability. A drain then waits until the
 * tasks that ran there run elsewhere, moving nginx with them, so it returns with traffic settled.
 */
export async function setAvailability(ctx: Context, word: string, availability: 'drain' | 'active'): Promise<void> {
  const say = ctx.io.out;
  const docker = await manager(ctx);
  const node = await findNode(docker, word);
  const addr = nodeAddress(node);
  if (node.Spec?.Availability === availability) {
    say(step(`Node ${node.ID.slice(0, 12)} (${addr}) is already ${availability === 'drain' ? 'drained' : 'active'}`));
    return;
  }
  if (availability === 'drain' && node.Spec?.Role === 'manager' && (await swarmInfo(docker)).NodeID === node.ID) {
    say(detail('Draining the manager itself: its tasks move to the other nodes; nginx stays here'));
  }
  await docker.getNode(node.ID).update({ version: node.Version?.Index, ...node.Spec, Availability: availability });
  await record(ctx, [{ type: availability === 'drain' ? 'SwarmNodeDrained' : 'SwarmNodeActivated', data: { nodeId: node.ID, addr } }]);
  say(step(`Node ${node.ID.slice(0, 12)} (${addr}) ${availability === 'drain' ? 'drained' : 'active'}`));
  if (availability !== 'drain') return;
  const until = Date.now() + 180_000;
  const p = await makePipeline(ctx);
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { node: [node.ID], 'desired-state': ['running'] } })) as Array<{ Spec?: { ContainerSpec?: { Labels?: Record<string, string> } } }>;
    const left = tasks.filter((t) => t.Spec?.ContainerSpec?.Labels?.[LABEL.swarmApp]).length;
    const moved = await followOnce(p, (line) => say(detail(line)));
    if (left === 0 && moved.settled) break;
    if (Date.now() > until) throw new UserError(`Tasks still on ${addr} after 180 s: swarm:nodes and ps:report show where they are`);
    await sleep(1000);
  }
  say(step(`Tasks of ${addr} moved; nginx follows them`));
}

function sameUpstreams(a: Upstream[], b: Upstream[]): boolean {
  const key = (u: Upstream[]) => u.map((x) => `${x.host}:${x.port}`).sort().join(',');
  return key(a) === key(b);
}

/** Nobody (a deploy, a scale, a stop) holds the app's lock right now; the probe takes and leaves it at once. */
function lockFree(p: Pipeline, app: string): boolean {
  try {
    p.lock(app).release();
    return true;
  } catch {
    return false;
  }
}

/**
 * One pass of `swarm:watch`: every swarm app whose running web tasks of the release nginx serves
 * are no longer the upstreams nginx has gets them. It never holds the app's lock (a command would
 * then fail for it): an app whose lock is held, before or after the engine is asked, is left to
 * that command. `settled`: every web task of that release runs and nginx has it.
 */
export async function followOnce(p: Pipeline, say: (line: string) => void): Promise<{ changed: number; settled: boolean }> {
  const { db } = p.store;
  const scheduler = await p.scheduler();
  let changed = 0;
  let settled = true;
  for (const app of listApps(db)) {
    if (selectedScheduler(db, app.name) !== 'swarm') continue;
    const runtime = getRuntime(db, app.id);
    if (runtime.current === undefined || runtime.stopped) continue;
    if (!lockFree(p, app.name)) {
      settled = false;
      continue;
    }
    // Old services waiting out wait-to-retire, and a deploy's new ones, are of other releases.
    const web = (await scheduler.status(app.name)).filter((t) => t.processType === 'web' && t.release === runtime.current);
    const upstreams: Upstream[] = web
      .filter((t) => t.state === 'running' && t.hostPort !== undefined && t.host)
      .map((t) => ({ processType: t.processType, containerName: t.name, host: t.host!, port: t.hostPort!, ...(t.extraHostPorts ? { ports: t.extraHostPorts } : {}) }));
    if (upstreams.length < web.length) settled = false;
    if (upstreams.length === 0 || sameUpstreams(upstreams, runtime.upstreams)) continue;
    if (!lockFree(p, app.name)) {
      settled = false;
      continue;
    }
    await p.proxy.switch(app, runtime.current, upstreams);
    changed++;
    say(`${app.name}: nginx now routes to ${upstreams.map((u) => `${u.host}:${u.port}`).join(', ')}`);
  }
  return { changed, settled };
}

/** `swarm:watch`: follows the tasks until killed, one pass a second; one watcher per host. */
export async function watchSwarm(ctx: Context, intervalMs = 1000): Promise<never> {
  acquireLock(watchLockPath(ctx.settings), { actor: 'swarm:watch', busy: (h) => new UserError(`swarm:watch already runs (pid ${h.pid})`) });
  ctx.io.out(step(`Following swarm tasks every ${intervalMs / 1000} s`));
  // One pipeline for every pass: each pass asks it for a scheduler, so settings changed meanwhile count.
  const p = await makePipeline(ctx);
  for (;;) {
    try {
      await ensureRegistry(ctx.settings);
      await followOnce(p, (line) => ctx.io.out(`${new Date().toISOString()} ${line}`));
    } catch (err) {
      ctx.io.err(`${new Date().toISOString()} ${(err as Error).message.split('\n')[0]}`);
    }
    await sleep(intervalMs);
  }
}

/** `registry:login SERVER USER PASSWORD`: checked against the registry, then recorded. */
export async function registryLoginCase(ctx: Context, server: string, username: string, password: string): Promise<void> {
  const problem = registryServerProblem(server);
  if (problem) throw new UserError(`Invalid registry '${server.slice(0, 64)}': ${problem}`);
  if (!/^[^\s:]{1,128}$/.test(username)) throw new UserError('Invalid username: 1 to 128 characters, no spaces or colons');
  if (password.length === 0 || password.length > 1024 || /[\r\n]/.test(password)) throw new UserError('Invalid password: 1 to 1024 characters on one line');
  const docker = await connectDocker(ctx.settings);
  try {
    await docker.checkAuth({ username, password, serveraddress: server });
  } catch (err) {
    throw new UserError(`Login to ${server} failed: ${((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).split('\n')[0]}`);
  }
  await record(ctx, [{ type: 'RegistryLoggedIn', data: { server, username, password } }]);
  ctx.io.out(step(`Logged in to ${server} as ${username}`));
}

export async function registryLogoutCase(ctx: Context, server: string): Promise<void> {
  const { db } = await ctx.store();
  if (!registryLogin(db, server)) throw new UserError(`Not logged in to ${server.slice(0, 64)}`);
  await record(ctx, [{ type: 'RegistryLoggedOut', data: { server } }]);
  ctx.io.out(step(`Logged out of ${server}`));
}
