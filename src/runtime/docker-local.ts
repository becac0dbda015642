import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { detail, step } from '../lib/output.ts';
import type { CheckSettings, ReleaseSpec, Upstream } from '../lib/types.ts';
import { CheckFailure, planChecks, runChecks, type CheckTarget } from './checks.ts';
import { containerName, isWeb, upcomingName } from './container-spec.ts';
import { isGone, listContainers, removeContainer, stopContainer, upstreamsFrom } from './containers.ts';
import { describeFormation, desiredProcesses, planScale, RELEASE_PHASE, slotsFor } from './formation.ts';
import { appLogs, dynoName, logTail } from './logs.ts';
import { execIn, runOneOff, startOneOff } from './one-off.ts';
import { attachPostDeploy, removeNetwork } from './networks.ts';
import { appNetworkName } from '../lib/networks.ts';
import { dockerProbe, sleep } from './probes.ts';
import { runReleasePhase } from './release-phase.ts';
import { startSlots, toUpstreams, type Started } from './start.ts';
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

export interface DockerLocalOptions {
  /**
   * Seconds a stopped container gets between SIGTERM and SIGKILL, for every container. Without it
   * each container's own StopTimeout holds (`ps:set stop-timeout-seconds`, set when it was made).
   */
  stopTimeout?: number;
  /** Log lines quoted in a failed deploy's message. */
  logTailLines?: number;
  /**
   * Hands a deploy's old containers to something that outlives this process (the CLI starts a
   * detached `ps:retire`), so a deploy returns as soon as traffic has switched instead of waiting
   * out `wait-to-retire`. Without it the deploy retires them itself before returning.
   */
  retireLater?: (job: RetireJob) => void;
}

/** Old containers to stop and remove once `waitSeconds` have passed (requests in flight finish). */
export interface RetireJob {
  app: string;
  containerIds: string[];
  waitSeconds: number;
}

const noop = () => {};

/** web.2 before web.10. */
const byName = (a: Upstream, b: Upstream): number => a.containerName.localeCompare(b.containerName, 'en', { numeric: true });

/** The default scheduler: containers on this host's Docker engine, web ports on loopback for nginx. */
export class DockerLocalScheduler implements Scheduler {
  private readonly stopTimeout: number | undefined;
  private readonly logTailLines: number;
  private readonly retireLater: ((job: RetireJob) => void) | undefined;

  constructor(private readonly docker: Docker, opts: DockerLocalOptions = {}) {
    this.stopTimeout = opts.stopTimeout;
    this.logTailLines = opts.logTailLines ?? 20;
    this.retireLater = opts.retireLater;
  }

  /**
   * start new → check → switch → final names → retire old (now, or later by `retireLater`). Until
   * the switch, a failure removes the new containers and leaves the old ones exactly as they were.
   */
  async deploy(req: DeployRequest): Promise<DeployResult> {
    const { app, release, checks } = req;
    const say = req.onLine ?? noop;
    assertSameApp(app, release);
    const old = await this.status(app);
    const { counts, unknown } = desiredProcesses(release, req.formation);
    for (const type of unknown) say(detail(`No ${type} process type in v${release.version}; not starting it`));

    await runReleasePhase(this.docker, release, say, this.logTailLines);

    say(step(`Starting v${release.version} of ${app} (${describeFormation(counts) || 'no processes'})`));
    const token = randomBytes(3).toString('hex');
    const started = await startSlots(this.docker, release, slotsFor(counts), (s) => upcomingName(app, s.processType, s.index, token));
    const upstreams = toUpstreams(started);
    await this.checkOrUndo(release, started, checks, say, async () => {
      await attachPostDeploy(this.docker, release, started);
      await req.onSwitch?.(upstreams);
      if (upstreams.length) say(step(`Switched traffic to v${release.version}: ${upstreams.map((u) => `${u.host}:${u.port}`).join(', ')}`));
    });

    const retiring = old.filter((c) => !started.some((s) => s.id === c.id));
    await this.handOverNames(retiring, started, token, say);
    if (retiring.length > 0 && checks.waitToRetire > 0 && this.retireLater) {
      this.retireLater({ app, containerIds: retiring.map((c) => c.id), waitSeconds: checks.waitToRetire });
      say(step(`Retiring ${retiring.length} old container${retiring.length === 1 ? '' : 's'} in ${checks.waitToRetire} s, in the background`));
      const gone = new Set(retiring.map((c) => c.id));
      return { containers: (await this.status(app)).filter((c) => !gone.has(c.id)), upstreams };
    }
    await this.retire(retiring, checks.waitToRetire, say);
    return { containers: await this.status(app), upstreams };
  }

  /** `ps:retire`: after `waitSeconds`, stops and removes those of `containerIds` that are still the app's. */
  async retireContainers(app: string, containerIds: string[], waitSeconds: number, onLine: (line: string) => void = noop): Promise<void> {
    if (waitSeconds > 0) await sleep(waitSeconds * 1000);
    const wanted = new Set(containerIds);
    await this.retire((await this.status(app)).filter((c) => wanted.has(c.id)), 0, onLine);
  }

  async restart(req: DeployRequest): Promise<DeployResult> {
    return this.deploy(req);
  }

  /** Adds and removes containers of the release until the formation holds; web changes go through onSwitch. */
  async scale(req: DeployRequest): Promise<DeployResult> {
    const { app, release, checks } = req;
    const say = req.onLine ?? noop;
    assertSameApp(app, release);
    // Only this release's containers count: an earlier one's may still be waiting to retire.
    const current = (await this.status(app)).filter((c): c is ContainerStatus & { index: number } => c.index !== undefined && c.release === release.version);
    const { counts } = desiredProcesses(release, req.formation);
    const plan = planScale(current, counts);
    say(step(`Scaling ${app} to ${describeFormation(counts) || 'nothing'}`));

    const started = await startSlots(this.docker, release, plan.add, (s) => containerName(app, s.processType, s.index));
    const webChanges = [...plan.add, ...plan.remove].some((c) => isWeb(c.processType));
    const kept = current.filter((c) => !plan.remove.includes(c));
    const upstreams = [...upstreamsFrom(kept), ...toUpstreams(started)].sort(byName);
    await this.checkOrUndo(release, started, checks, say, async () => {
      await attachPostDeploy(this.docker, release, started);
      if (webChanges) await req.onSwitch?.(upstreams);
    });

    const webRemoved = plan.remove.some((c) => isWeb(c.processType));
    await this.retire(plan.remove, webRemoved ? checks.waitToRetire : 0, say);
    return { containers: await this.status(app), upstreams };
  }

  async stop(app: string): Promise<void> {
    const running = (await this.status(app)).filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
    await Promise.all(running.map((c) => stopContainer(this.docker, c.id, this.stopTimeout)));
  }

  async start(app: string): Promise<Upstream[]> {
    const stopped = (await this.status(app)).filter((c) => c.state === 'created' || c.state === 'exited');
    await Promise.all(stopped.map((c) => this.docker.getContainer(c.id).start()));
    return this.upstreams(app);
  }

  status(app: string): Promise<ContainerStatus[]> {
    return listContainers(this.docker, app);
  }

  async inspect(app: string): Promise<unknown[]> {
    const found = await listContainers(this.docker, app);
    const described = await Promise.all(found.map((c) => this.docker.getContainer(c.id).inspect().catch((err: unknown) => (isGone(err) ? undefined : Promise.reject(err)))));
    return described.filter((d) => d !== undefined);
  }

  async upstreams(app: string): Promise<Upstream[]> {
    return upstreamsFrom(await this.status(app));
  }

  async destroy(app: string): Promise<void> {
    const all = await listContainers(this.docker, app, { oneOffs: true });
    await Promise.all(all.map((c) => removeContainer(this.docker, c.id)));
    // The app's own network goes with its last container (a renamed app's old name's too).
    await removeNetwork(this.docker, appNetworkName(app));
  }

  async vacate(app: string): Promise<void> {
    await this.removeAll(await listContainers(this.docker, app));
  }

  async removeInterrupted(app: string, servingPorts: number[]): Promise<string[]> {
    const serving = new Set(servingPorts);
    const all = await listContainers(this.docker, app, { oneOffs: true });
    const leftovers = all.filter(
      (c) => (c.name.includes('.upcoming-') || (c.oneOff && c.processType === RELEASE_PHASE)) && !(c.hostPort !== undefined && serving.has(c.hostPort)),
    );
    await this.removeAll(leftovers);
    return leftovers.map((c) => c.name);
  }

  logs(app: string, opts: LogsOptions, onLine: (line: LogLine) => void): Promise<void> {
    return appLogs(this.docker, app, opts, onLine);
  }

  run(app: string, release: ReleaseSpec, command: string[], opts: RunOptions): Promise<number> {
    assertSameApp(app, release);
    return runOneOff(this.docker, release, command, opts);
  }

  runDetached(app: string, release: ReleaseSpec, command: string[], env?: Record<string, string>): Promise<string> {
    assertSameApp(app, release);
    return startOneOff(this.docker, release, command, env);
  }

  async oneOffs(app: string): Promise<ContainerStatus[]> {
    return (await listContainers(this.docker, app, { oneOffs: true })).filter((c) => c.oneOff);
  }

  async stopOneOff(app: string, name: string): Promise<void> {
    const found = (await this.oneOffs(app)).find((c) => c.name === name);
    if (!found) throw new NoSuchContainerError(`No one-off container ${name} of ${app}`);
    await stopContainer(this.docker, found.id, this.stopTimeout);
    // A detached one-off removes itself when it stops; any other is removed here.
    await removeContainer(this.docker, found.id);
  }

  async enter(app: string, processType: string, index: number, command: string[], terminal: Terminal): Promise<number> {
    const target = (await this.status(app)).find((c) => c.processType === processType && c.index === index && c.state === 'running');
    if (!target) throw new NoSuchContainerError(`No running ${processType}.${index} container for ${app}`);
    return execIn(this.docker, target.id, command, terminal);
  }

  async checkRunning(release: ReleaseSpec, checks: CheckSettings, only: { processType?: string; index?: number }, say: (line: string) => void): Promise<string[]> {
    const running = (await this.status(release.app)).filter(
      (c) => c.state === 'running' && !c.oneOff && c.release === release.version && (only.processType === undefined || c.processType === only.processType) && (only.index === undefined || c.index === only.index),
    );
    const which = only.processType === undefined ? '' : ` ${only.processType}${only.index === undefined ? '' : `.${only.index}`}`;
    if (running.length === 0) throw new NoSuchContainerError(`No running${which} containers of ${release.app} v${release.version} to check`);
    const failures: string[] = [];
    for (const c of running) {
      const container = this.docker.getContainer(c.id);
      const info = await container.inspect();
      const ip = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress || undefined;
      const plan = planChecks(release, c.processType, checks);
      const target: CheckTarget = {
        dyno: dynoName(c),
        containerPort: isWeb(c.processType) ? release.webPort : undefined,
        published: c.hostPort ? { host: '127.0.0.1', port: c.hostPort } : undefined,
        containerIp: ip,
      };
      say(step(`Running checks for ${target.dyno} (${c.name})`));
      try {
        await runChecks(plan, target, dockerProbe(container), (l) => say(detail(l)));
      } catch (err) {
        if (!(err instanceof CheckFailure)) throw err;
        failures.push(err.message);
        say(detail(`${err.message}`));
      }
    }
    return failures;
  }

  /**
   * Checks every new container, then lets the caller switch traffic. If either fails, the new
   * containers go (a check failure becomes a DeployError quoting the container's log).
   */
  private async checkOrUndo(
    release: ReleaseSpec,
    started: Started[],
    checks: CheckSettings,
    say: (line: string) => void,
    switchTraffic: () => unknown,
  ): Promise<void> {
    try {
      if (started.length > 0) {
        const plans = started.map((s) => planChecks(release, s.processType, checks));
        const skipped = plans.find((p) => p.kind === 'skip');
        say(step(skipped?.kind === 'skip' ? `Skipping checks: ${skipped.reason}` : 'Running checks'));
        await Promise.all(
          started.map((s, i) =>
            runChecks(plans[i]!, checkTarget(release, s), dockerProbe(s.container), (l) => say(detail(l))),
          ),
        );
      }
      await switchTraffic();
    } catch (err) {
      const failure = err instanceof CheckFailure ? await this.describeFailure(release, started, err) : err;
      await this.removeAll(started);
      throw failure;
    }
  }

  private async describeFailure(release: ReleaseSpec, started: Started[], failure: CheckFailure): Promise<DeployError> {
    const culprit = started.find((s) => `${s.processType}.${s.index}` === failure.dyno);
    const tail = culprit ? await logTail(this.docker, culprit.id, this.logTailLines) : [];
    const state = culprit ? (await this.docker.getContainer(culprit.id).inspect().catch(() => undefined))?.State : undefined;
    // Past its memory limit the kernel kills it: say so, the log alone rarely does.
    const oom = state?.OOMKilled ? ` (killed for passing its memory limit, exit ${state.ExitCode})` : '';
    return new DeployError(release.app, release.version, 'checks', `check failed for ${failure.message}${oom}`, culprit?.finalName, tail);
  }

  /** After `waitSeconds` (requests in flight on the old upstreams finish), stop and remove. */
  private async retire(containers: ContainerStatus[], waitSeconds: number, say: (line: string) => void): Promise<void> {
    if (containers.length === 0) return;
    if (waitSeconds > 0) {
      say(step(`Shutting down ${containers.length} old container${containers.length === 1 ? '' : 's'} in ${waitSeconds} s`));
      await sleep(waitSeconds * 1000);
    }
    await Promise.all(
      containers.map(async (c) => {
        await stopContainer(this.docker, c.id, this.stopTimeout);
        await removeContainer(this.docker, c.id);
        say(detail(`Retired ${c.name} (${dynoName(c)}, v${c.release})`));
      }),
    );
  }

  /**
   * Once traffic has switched the new containers take the final names (`<app>.web.1`) at once; the
   * old ones, still finishing requests, step aside as `<app>.web.1.retiring-<token>`.
   */
  private async handOverNames(retiring: ContainerStatus[], started: Started[], token: string, say: (line: string) => void): Promise<void> {
    const renamed = (container: Docker.Container, from: string, to: string) =>
      container.rename({ name: to }).catch((err: unknown) => {
        // Harmless: identity is in labels, and the next deploy replaces the container anyway.
        say(detail(`Could not rename ${from} to ${to}: ${(err as Error).message}`));
      });
    const finalNames = new Set(started.map((s) => s.finalName));
    await Promise.all(
      retiring
        .filter((c) => finalNames.has(c.name))
        .map((c) => renamed(this.docker.getContainer(c.id), c.name, retiringName(c.name, token))),
    );
    await Promise.all(started.filter((s) => s.name !== s.finalName).map((s) => renamed(s.container, s.name, s.finalName)));
  }

  private async removeAll(containers: Array<{ id: string }>): Promise<void> {
    await Promise.all(containers.map((c) => removeContainer(this.docker, c.id)));
  }
}

const retiringName = (name: string, token: string): string => `${name}.retiring-${token}`;

function checkTarget(release: ReleaseSpec, s: Started): CheckTarget {
  return {
    dyno: `${s.processType}.${s.index}`,
    containerPort: isWeb(s.processType) ? release.webPort : undefined,
    published: s.hostPort ? { host: '127.0.0.1', port: s.hostPort } : undefined,
    containerIp: s.ip,
  };
}

function assertSameApp(app: string, release: ReleaseSpec): void {
  if (release.app !== app) throw new Error(`release belongs to ${release.app}, not ${app}`);
}
