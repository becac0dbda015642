import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { LABEL } from '../lib/labels.ts';
import { demuxBufferLines, splitTimestamp } from '../lib/log-frames.ts';
import { detail, step } from '../lib/output.ts';
import type { CheckSettings, ReleaseSpec, Upstream } from '../lib/types.ts';
import { CheckFailure, planChecks, runChecks, type CheckTarget, type ContainerCondition, type Probe } from './checks.ts';
import { isWeb } from './container-spec.ts';
import { DockerLocalScheduler, type RetireJob } from './docker-local.ts';
import { describeFormation, desiredProcesses } from './formation.ts';
import { execIn } from './one-off.ts';
import { httpGet, sleep, tcpAccepts } from './probes.ts';
import { runReleasePhase } from './release-phase.ts';
import { ensureImage, pushImage, type RegistryTarget } from './registry-push.ts';
import { repositoryOf } from '../lib/registry-ref.ts';
import {
  DeployError,
  NoSuchContainerError,
  type ContainerStatus,
  type DeployRequest,
  type DeployResult,
  type LogLine,
  type LogsOptions,
  type RunOptions,
  type Scheduler,
  type Terminal,
} from './scheduler.ts';
import { serviceSpec } from './swarm-spec.ts';
import { nodeAddress, servingService, serviceFrom, taskCurrent, taskFailed, taskFrom, taskRunning, taskStatus, taskUpstreams, type SwarmService, type SwarmTask } from './swarm-tasks.ts';

export interface SwarmOptions {
  /** Where release images are pushed for every node to pull; without one a deploy is refused. */
  registry?: RegistryTarget;
  /** As docker-local's: old services are removed by a detached `ps:retire` after `wait-to-retire`. */
  retireLater?: (job: RetireJob) => void;
  logTailLines?: number;
  /** How long new tasks may take to be running (the first task on a node prepares its image). */
  convergeMs?: number;
  pollMs?: number;
  /** Called before a deploy, scale or start changes anything: the caller makes sure what swarm apps rely on runs. */
  beforeChange?: () => Promise<void>;
}

const noop = () => {};

/** Everything the engine says about the app now: services, their current tasks, node addresses. */
interface Snapshot {
  services: SwarmService[];
  tasks: SwarmTask[];
  addrOf: (nodeId: string) => string;
}

/**
 * The swarm scheduler: each process type a Swarm service on the manager's engine, its tasks on any
 * node, web tasks reached by nginx at `<node address>:<published port>`. A deploy starts a new
 * service per type beside the serving one, runs dokku's checks against every new task, switches
 * nginx, then removes the old services: the pipeline is docker-local's, with services for
 * containers. One-off containers (`run`, the release phase, postdeploy) run on the manager, as
 * docker-local runs them, from the image the release pushed.
 */
export class SwarmScheduler implements Scheduler {
  private readonly local: DockerLocalScheduler;
  private readonly registry: RegistryTarget | undefined;
  private readonly retireLater: ((job: RetireJob) => void) | undefined;
  private readonly logTailLines: number;
  private readonly convergeMs: number;
  private readonly pollMs: number;
  private readonly beforeChange: () => Promise<void>;

  constructor(private readonly docker: Docker, opts: SwarmOptions = {}) {
    this.local = new DockerLocalScheduler(docker, { logTailLines: opts.logTailLines ?? 20 });
    this.registry = opts.registry;
    this.retireLater = opts.retireLater;
    this.logTailLines = opts.logTailLines ?? 20;
    this.convergeMs = opts.convergeMs ?? 180_000;
    this.pollMs = opts.pollMs ?? 500;
    this.beforeChange = opts.beforeChange ?? (async () => {});
  }

  /** Pushes the release's local image and returns the digest reference the services run. */
  async prepareImage(release: ReleaseSpec, onLine: (line: string) => void = noop): Promise<string> {
    if (!this.registry) throw new UserError(`No registry for swarm apps: run swarm:init (it starts one), or registry:set --global server HOST:PORT`);
    onLine(step(`Pushing v${release.version} of ${release.app} to ${this.registry.server}`));
    const reference = await pushImage(this.docker, this.registry, release.app, release.image, release.version);
    onLine(detail(`Pushed ${reference}`));
    return reference;
  }

  async deploy(req: DeployRequest): Promise<DeployResult> {
    const { app, release, checks } = req;
    const say = req.onLine ?? noop;
    assertSameApp(app, release);
    await this.assertManager();
    const old = (await this.snapshot(app)).services;
    const { counts, unknown } = desiredProcesses(release, req.formation);
    for (const type of unknown) say(detail(`No ${type} process type in v${release.version}; not starting it`));
    await ensureImage(this.docker, release.image, this.registry?.auth);
    await runReleasePhase(this.docker, release, say, this.logTailLines);

    say(step(`Starting v${release.version} of ${app} on the swarm (${describeFormation(counts) || 'no processes'})`));
    const token = randomBytes(3).toString('hex');
    const created: string[] = [];
    try {
      for (const [type, n] of Object.entries(counts)) {
        if (n <= 0) continue;
        const spec = serviceSpec(release, type, { replicas: n, token });
        const service = await this.docker.createService(this.withAuth(spec));
        created.push(service.id);
      }
      const snap = await this.converge(app, created, new Set(), say);
      const fresh = snap.services.filter((s) => created.includes(s.id));
      await this.checkTasks(release, fresh, snap, new Set(), checks, say);
      const web = fresh.find((s) => isWeb(s.processType));
      const upstreams = web ? taskUpstreams(web, snap.tasks, snap.addrOf) : [];
      await req.onSwitch?.(upstreams);
      if (upstreams.length) say(step(`Switched traffic to v${release.version}: ${upstreams.map((u) => `${u.host}:${u.port}`).join(', ')}`));
      await this.retireServices(app, old, checks.waitToRetire, say);
      return { containers: await this.status(app), upstreams };
    } catch (err) {
      await Promise.all(created.map((id) => this.removeService(id)));
      throw err;
    }
  }

  async retireContainers(app: string, ids: string[], waitSeconds: number, onLine: (line: string) => void = noop): Promise<void> {
    if (waitSeconds > 0) await sleep(waitSeconds * 1000);
    const wanted = new Set(ids);
    const services = (await this.snapshot(app)).services.filter((s) => wanted.has(s.id));
    await this.retireNow(services, onLine);
  }

  restart(req: DeployRequest): Promise<DeployResult> {
    return this.deploy(req);
  }

  /** Sets each process type's replicas on the serving services; new web tasks are checked, then nginx gets them all. */
  async scale(req: DeployRequest): Promise<DeployResult> {
    const { app, release, checks } = req;
    const say = req.onLine ?? noop;
    assertSameApp(app, release);
    await this.assertManager();
    const { counts } = desiredProcesses(release, req.formation);
    say(step(`Scaling ${app} to ${describeFormation(counts) || 'nothing'}`));
    const before = await this.snapshot(app);
    const known = new Set(before.tasks.map((t) => t.id));
    const touched: string[] = [];
    const token = randomBytes(3).toString('hex');
    for (const [type, n] of Object.entries(counts)) {
      const current = servingService(before.services.filter((s) => s.release === release.version), type);
      if (current) {
        if (current.replicas !== n || current.wanted !== n) await this.setReplicas(current, n, n);
        touched.push(current.id);
      } else if (n > 0) {
        await ensureImage(this.docker, release.image, this.registry?.auth);
        touched.push((await this.docker.createService(this.withAuth(serviceSpec(release, type, { replicas: n, token })))).id);
      }
    }
    const snap = await this.converge(app, touched, known, say);
    await this.checkTasks(release, snap.services.filter((s) => touched.includes(s.id)), snap, known, checks, say);
    const upstreams = await this.upstreams(app);
    if (counts.web !== undefined) await req.onSwitch?.(upstreams);
    return { containers: await this.status(app), upstreams };
  }

  async stop(app: string): Promise<void> {
    const { services } = await this.snapshot(app);
    await Promise.all(services.filter((s) => s.replicas > 0).map((s) => this.setReplicas(s, 0, s.wanted)));
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if ((await this.snapshot(app)).tasks.every((t) => t.state !== 'running')) return;
      await sleep(this.pollMs);
    }
  }

  async start(app: string): Promise<Upstream[]> {
    await this.assertManager();
    const { services } = await this.snapshot(app);
    const stopped = services.filter((s) => s.replicas === 0 && s.wanted > 0);
    await Promise.all(stopped.map((s) => this.setReplicas(s, s.wanted, s.wanted)));
    if (stopped.length) await this.converge(app, stopped.map((s) => s.id), new Set(), noop);
    return this.upstreams(app);
  }

  async status(app: string): Promise<ContainerStatus[]> {
    const snap = await this.snapshot(app);
    const byId = new Map(snap.services.map((s) => [s.id, s]));
    return snap.tasks
      .filter((t) => taskCurrent(t) && byId.has(t.serviceId))
      .map((t) => taskStatus(t, byId.get(t.serviceId)!, snap.addrOf(t.nodeId)))
      .sort((a, b) => a.processType.localeCompare(b.processType) || (a.index ?? 0) - (b.index ?? 0) || a.release - b.release);
  }

  async inspect(app: string): Promise<unknown[]> {
    const { services } = await this.snapshot(app);
    return Promise.all(services.map((s) => this.docker.getService(s.id).inspect()));
  }

  async upstreams(app: string): Promise<Upstream[]> {
    const snap = await this.snapshot(app);
    const web = servingService(snap.services);
    return web ? taskUpstreams(web, snap.tasks, snap.addrOf) : [];
  }

  async destroy(app: string): Promise<void> {
    await this.vacate(app);
    await this.local.destroy(app);
  }

  /** The app's services go, and the registry names of its images here (the registry keeps them). */
  async vacate(app: string): Promise<void> {
    const { services } = await this.snapshot(app);
    await Promise.all(services.map((s) => this.removeService(s.id)));
    // This engine's task containers stop after their services are gone: the app's images stay in use till then.
    const until = Date.now() + 60_000;
    while (services.length && Date.now() < until) {
      const left = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.swarmApp}=${app}`] } });
      if (left.length === 0) break;
      await sleep(this.pollMs);
    }
    await this.removePushedTags(app);
  }

  /** Task logs come from whichever node runs the task, through the manager. */
  async logs(app: string, opts: LogsOptions, onLine: (line: LogLine) => void): Promise<void> {
    if (opts.oneOffs) return this.local.logs(app, opts, onLine);
    const snap = await this.snapshot(app);
    const byId = new Map(snap.services.map((s) => [s.id, s]));
    const tasks = snap.tasks.filter((t) => taskCurrent(t) && byId.has(t.serviceId) && (!opts.processType || byId.get(t.serviceId)!.processType === opts.processType));
    const read = async (t: SwarmTask, since?: string): Promise<LogLine[]> => {
      const dyno = `${byId.get(t.serviceId)!.processType}.${t.slot}`;
      const buffer = await this.taskLogs(t.id, { follow: false, tail: since === undefined ? opts.tail : undefined, since });
      return demuxBufferLines(buffer).map(({ stream, line }) => ({ dyno, stream, ...splitTimestamp(line) }));
    };
    const lines = (await Promise.all(tasks.map((t) => read(t)))).flat();
    lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).forEach(onLine);
    if (!opts.follow) return;
    // Following: each task's lines since the last one seen, asked for once a second.
    const seen = new Map(tasks.map((t) => [t.id, lines.filter((l) => l.dyno === `${byId.get(t.serviceId)!.processType}.${t.slot}`).at(-1)?.time ?? '']));
    while (!opts.signal?.aborted) {
      await sleep(1000);
      for (const t of tasks) {
        const last = seen.get(t.id) ?? '';
        const fresh = (await read(t, last || undefined)).filter((l) => l.time > last);
        if (fresh.length) seen.set(t.id, fresh.at(-1)!.time);
        fresh.forEach(onLine);
      }
    }
  }

  async run(app: string, release: ReleaseSpec, command: string[], opts: RunOptions): Promise<number> {
    await ensureImage(this.docker, release.image, this.registry?.auth);
    return this.local.run(app, release, command, opts);
  }

  async runDetached(app: string, release: ReleaseSpec, command: string[], env?: Record<string, string>): Promise<string> {
    await ensureImage(this.docker, release.image, this.registry?.auth);
    return this.local.runDetached(app, release, command, env);
  }

  oneOffs(app: string): Promise<ContainerStatus[]> {
    return this.local.oneOffs(app);
  }

  stopOneOff(app: string, name: string): Promise<void> {
    return this.local.stopOneOff(app, name);
  }

  /** Exec works on this engine's own tasks; a task on another node is entered on that node. */
  async enter(app: string, processType: string, index: number, command: string[], terminal: Terminal): Promise<number> {
    const snap = await this.snapshot(app);
    const web = servingService(snap.services, processType);
    const task = snap.tasks.find((t) => web && t.serviceId === web.id && t.slot === index && taskRunning(t));
    if (!web || !task) throw new NoSuchContainerError(`No running ${processType}.${index} task for ${app}`);
    const self = ((await this.docker.info()) as { Swarm?: { NodeID?: string } }).Swarm?.NodeID;
    if (task.nodeId !== self || !task.containerId) {
      throw new UserError(`${processType}.${index} of ${app} runs on node ${snap.addrOf(task.nodeId)}: enter it there (docker exec -it ${task.containerId ?? task.id} sh)`);
    }
    return execIn(this.docker, task.containerId, command, terminal);
  }

  async checkRunning(release: ReleaseSpec, checks: CheckSettings, only: { processType?: string; index?: number }, say: (line: string) => void): Promise<string[]> {
    const snap = await this.snapshot(release.app);
    const services = snap.services.filter((s) => s.release === release.version && (only.processType === undefined || s.processType === only.processType));
    const tasks = snap.tasks.filter((t) => services.some((s) => s.id === t.serviceId) && taskRunning(t) && (only.index === undefined || t.slot === only.index));
    if (tasks.length === 0) throw new NoSuchContainerError(`No running tasks of ${release.app} v${release.version} to check`);
    const failures: string[] = [];
    for (const t of tasks) {
      const s = services.find((x) => x.id === t.serviceId)!;
      say(step(`Running checks for ${s.processType}.${t.slot} (${snap.addrOf(t.nodeId)})`));
      try {
        await runChecks(planChecks(release, s.processType, checks), this.target(release, s, t, snap), this.probe(t.id), (l) => say(detail(l)));
      } catch (err) {
        if (!(err instanceof CheckFailure)) throw err;
        failures.push(err.message);
        say(detail(err.message));
      }
    }
    return failures;
  }

  // ---- the engine, read and changed ----

  private withAuth(spec: Docker.CreateServiceOptions): Docker.CreateServiceOptions {
    const auth = this.registry?.auth;
    return auth ? { ...spec, authconfig: { username: auth.username, password: auth.password, serveraddress: this.registry!.server } } : spec;
  }

  private async assertManager(): Promise<void> {
    await this.beforeChange();
    const info = (await this.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
    if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.ControlAvailable) {
      throw new UserError('This Docker engine is not a swarm manager: run swarm:init first');
    }
  }

  private async snapshot(app: string): Promise<Snapshot> {
    const rawServices = (await this.docker.listServices({ filters: { label: [`${LABEL.app}=${app}`] } }).catch(notInSwarm)) as Record<string, unknown>[];
    const services = rawServices.map(serviceFrom).filter((s): s is SwarmService => s !== undefined && s.app === app);
    if (services.length === 0) return { services, tasks: [], addrOf: () => '' };
    const [rawTasks, rawNodes] = await Promise.all([
      this.docker.listTasks({ filters: { service: services.map((s) => s.id) } }),
      this.docker.listNodes(),
    ]);
    const addrs = new Map((rawNodes as Record<string, unknown>[]).map((n) => [String(n.ID), nodeAddress(n)]));
    const ids = new Set(services.map((s) => s.id));
    return { services, tasks: (rawTasks as Record<string, unknown>[]).map(taskFrom).filter((t) => ids.has(t.serviceId)), addrOf: (id) => addrs.get(id) ?? '' };
  }

  private async setReplicas(s: SwarmService, replicas: number, wanted: number): Promise<void> {
    const fresh = serviceFrom(await this.docker.getService(s.id).inspect())!;
    const spec = fresh.spec as Docker.ServiceSpec & { Labels?: Record<string, string> };
    await this.docker.getService(s.id).update({
      ...spec,
      version: fresh.version,
      Labels: { ...(spec.Labels ?? {}), [LABEL.replicas]: String(wanted) },
      Mode: { Replicated: { Replicas: replicas } },
    });
  }

  /**
   * Waits until every service in `ids` runs its replicas (tasks not in `known`, when given, count
   * as the new ones), reporting progress; a task the engine failed or rejected fails the wait.
   */
  private async converge(app: string, ids: string[], known: Set<string>, say: (line: string) => void): Promise<Snapshot> {
    const until = Date.now() + this.convergeMs;
    let last = '';
    for (;;) {
      const snap = await this.snapshot(app);
      const mine = snap.services.filter((s) => ids.includes(s.id));
      const failed = snap.tasks.find((t) => ids.includes(t.serviceId) && !known.has(t.id) && taskFailed(t));
      if (failed) {
        const s = mine.find((x) => x.id === failed.serviceId);
        const dyno = `${s?.processType ?? 'task'}.${failed.slot}`;
        throw new DeployError(app, s?.release ?? 0, 'checks', `${dyno} failed on node ${snap.addrOf(failed.nodeId) || failed.nodeId}: ${failed.error ?? failed.state}`, dyno, await this.tail(failed.id));
      }
      const progress = mine.map((s) => {
        const running = snap.tasks.filter((t) => t.serviceId === s.id && taskRunning(t) && (!isWeb(s.processType) || s.webPort === undefined || t.ports[String(s.webPort)] !== undefined));
        return { s, running: running.length };
      });
      const line = progress.map((p) => `${p.s.processType} ${p.running}/${p.s.replicas}`).join(', ');
      if (line !== last) say(detail(`Tasks running: ${line}`));
      last = line;
      if (progress.every((p) => p.running >= p.s.replicas && snap.tasks.filter((t) => t.serviceId === p.s.id && taskCurrent(t)).length <= p.s.replicas)) return snap;
      if (Date.now() > until) {
        throw new DeployError(app, mine[0]?.release ?? 0, 'checks', `tasks were not running within ${Math.round(this.convergeMs / 1000)} s (${line})`);
      }
      await sleep(this.pollMs);
    }
  }

  /** dokku's checks against every new running task, from this host, at node address and port. */
  private async checkTasks(release: ReleaseSpec, services: SwarmService[], snap: Snapshot, known: Set<string>, checks: CheckSettings, say: (line: string) => void): Promise<void> {
    const targets = snap.tasks.filter((t) => !known.has(t.id) && taskRunning(t) && services.some((s) => s.id === t.serviceId));
    if (targets.length === 0) return;
    const plans = targets.map((t) => planChecks(release, services.find((s) => s.id === t.serviceId)!.processType, checks));
    const skipped = plans.find((p) => p.kind === 'skip');
    say(step(skipped?.kind === 'skip' ? `Skipping checks: ${skipped.reason}` : 'Running checks'));
    try {
      await Promise.all(targets.map((t, i) => runChecks(plans[i]!, this.target(release, services.find((s) => s.id === t.serviceId)!, t, snap), this.probe(t.id), (l) => say(detail(l)))));
    } catch (err) {
      if (!(err instanceof CheckFailure)) throw err;
      const culprit = targets.find((t) => `${services.find((s) => s.id === t.serviceId)!.processType}.${t.slot}` === err.dyno);
      throw new DeployError(release.app, release.version, 'checks', `check failed for ${err.message}`, err.dyno, culprit ? await this.tail(culprit.id) : []);
    }
  }

  private target(release: ReleaseSpec, s: SwarmService, t: SwarmTask, snap: Snapshot): CheckTarget {
    const port = s.webPort === undefined ? undefined : t.ports[String(s.webPort)];
    return {
      dyno: `${s.processType}.${t.slot}`,
      containerPort: isWeb(s.processType) ? release.webPort : undefined,
      published: port ? { host: snap.addrOf(t.nodeId), port } : undefined,
      // A task's own address is on its node's bridge, which this host may not reach.
      containerIp: undefined,
    };
  }

  /** A check's view of a task: the engine's state of it (a replaced task is not running). */
  private probe(taskId: string): Probe {
    return {
      connect: tcpAccepts,
      get: httpGet,
      condition: async (): Promise<ContainerCondition> => {
        const t = taskFrom(await this.docker.getTask(taskId).inspect());
        return { running: taskRunning(t), restarts: 0, exitCode: t.exitCode };
      },
      sleep,
      now: () => Date.now(),
    };
  }

  private async taskLogs(id: string, opts: { follow: boolean; tail: number | undefined; since?: string }): Promise<Buffer> {
    // dockerode's Task has no logs(); the engine's endpoint is the same as for services.
    const res = await new Promise<unknown>((resolve, reject) =>
      this.docker.modem.dial(
        {
          path: `/tasks/${id}/logs?`,
          method: 'GET',
          options: {
            stdout: true,
            stderr: true,
            timestamps: true,
            follow: opts.follow,
            ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
            // Whole seconds: the lines of that second come again and are told apart by their times.
            ...(opts.since && Number.isFinite(Date.parse(opts.since)) ? { since: Math.floor(Date.parse(opts.since) / 1000) } : {}),
          },
          isStream: false,
          statusCodes: { 200: true, 404: 'no such task', 500: 'server error', 503: 'node is not part of a swarm' },
        },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
      ),
    );
    return Buffer.isBuffer(res) ? res : Buffer.from(typeof res === 'string' ? res : '');
  }

  private async tail(taskId: string): Promise<string[]> {
    try {
      return demuxBufferLines(await this.taskLogs(taskId, { follow: false, tail: this.logTailLines })).map((l) => l.line).slice(-this.logTailLines);
    } catch {
      return [];
    }
  }

  private async retireServices(app: string, old: SwarmService[], waitSeconds: number, say: (line: string) => void): Promise<void> {
    if (old.length === 0) return;
    if (waitSeconds > 0 && this.retireLater) {
      this.retireLater({ app, containerIds: old.map((s) => s.id), waitSeconds });
      say(step(`Retiring ${old.length} old service${old.length === 1 ? '' : 's'} in ${waitSeconds} s, in the background`));
      return;
    }
    if (waitSeconds > 0) {
      say(step(`Shutting down ${old.length} old service${old.length === 1 ? '' : 's'} in ${waitSeconds} s`));
      await sleep(waitSeconds * 1000);
    }
    await this.retireNow(old, say);
  }

  private async retireNow(services: SwarmService[], say: (line: string) => void): Promise<void> {
    await Promise.all(
      services.map(async (s) => {
        await this.removeService(s.id);
        say(detail(`Retired ${s.name} (${s.processType}, v${s.release})`));
      }),
    );
  }

  async forgetImage(app: string, image: string): Promise<void> {
    await this.removePushedTags(app, (i) => i.Id === image);
  }

  /** The registry names this engine gave the app's images (`<registry>/dokku/<app>:vN`, `…@sha256:…`). */
  private async removePushedTags(app: string, which: (i: Docker.ImageInfo) => boolean = () => true): Promise<void> {
    if (!this.registry) return;
    const repo = repositoryOf(this.registry.server, app);
    // Filtered here: the engine's reference filter misreads a registry's `host:port`.
    const images = (await this.docker.listImages()).filter(which);
    const refs = images.flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]).filter((r) => r.startsWith(`${repo}:`) || r.startsWith(`${repo}@`));
    for (const ref of refs) await this.docker.getImage(ref).remove().catch(() => undefined);
  }

  private async removeService(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}

/** An engine outside any swarm has no services: the app has none either. */
function notInSwarm(err: unknown): unknown[] {
  if ((err as { statusCode?: number }).statusCode === 503) return [];
  throw err;
}

function assertSameApp(app: string, release: ReleaseSpec): void {
  if (release.app !== app) throw new Error(`release belongs to ${release.app}, not ${app}`);
}
