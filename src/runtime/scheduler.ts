import { UserError } from '../lib/errors.ts';
import type { CheckSettings, Formation, ReleaseSpec, Upstream } from '../lib/types.ts';

/**
 * What every scheduler (docker-local today, swarm later) offers the deploy pipeline and the `ps`,
 * `logs`, `run` and `enter` commands. One contract suite runs against each implementation.
 */

/** Named states of a container as Docker reports them. */
export type ContainerState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'removing' | 'dead';

export interface ContainerStatus {
  id: string;
  name: string;
  app: string;
  processType: string;
  /** 1-based; one-off containers have none. */
  index: number | undefined;
  release: number;
  state: ContainerState;
  /** Loopback port nginx proxies to (web containers). */
  hostPort: number | undefined;
  /** Where `hostPort` is open when not on loopback: a swarm task's node address. */
  host?: string;
  /** Loopback ports of a web container's other EXPOSEd ports, by container port. */
  extraHostPorts?: Record<string, number>;
  oneOff: boolean;
  /** Docker's command line and creation time (seconds), as `docker ps` shows them. */
  command?: string;
  created?: number;
}

export interface DeployRequest {
  app: string;
  release: ReleaseSpec;
  formation: Formation;
  checks: CheckSettings;
  /** One output line, already prefixed in Dokku's style (`-----> `, `       `). */
  onLine?: (line: string) => void;
  /**
   * Called once the new containers passed their checks and before any old one is touched: record
   * these upstreams and point the proxy at them. If it throws, the new containers are removed and
   * the old keep serving.
   */
  onSwitch?: (upstreams: Upstream[]) => Promise<void> | void;
}

export interface DeployResult {
  containers: ContainerStatus[];
  upstreams: Upstream[];
}

export interface LogsOptions {
  follow?: boolean;
  /** Lines per container from the end; all when omitted. */
  tail?: number;
  processType?: string;
  /** One-off containers (`run:logs`) instead of the app's processes; `container` names one of them. */
  oneOffs?: { container?: string };
  /** Ends a `follow`. */
  signal?: AbortSignal;
}

export interface LogLine {
  /** `web.1`, `worker.2`, `run.a1b2c3`. */
  dyno: string;
  stream: 'stdout' | 'stderr';
  /** ISO time Docker recorded the line at. */
  time: string;
  text: string;
}

/** The caller's terminal, for `run` and `enter`. */
export interface Terminal {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream & { columns?: number; rows?: number; on?: (event: 'resize', fn: () => void) => unknown };
  stderr: NodeJS.WritableStream;
  /** Allocate a TTY (only when the caller's stdin and stdout are terminals). */
  tty: boolean;
}

export interface RunOptions extends Terminal {
  env?: Record<string, string>;
}

export interface Scheduler {
  /** Zero-downtime: start new → checks → onSwitch → final names → retire old (or hand them to `ps:retire`). */
  deploy(req: DeployRequest): Promise<DeployResult>;
  /** After `waitSeconds`, stops and removes those of the given containers that are still the app's. */
  retireContainers(app: string, containerIds: string[], waitSeconds: number, onLine?: (line: string) => void): Promise<void>;
  /** Converge the running containers of `req.release` to `req.formation`. */
  scale(req: DeployRequest): Promise<DeployResult>;
  /** A zero-downtime redeploy of the release that is running. */
  restart(req: DeployRequest): Promise<DeployResult>;
  stop(app: string): Promise<void>;
  /** Starts the app's stopped containers; returns the web upstreams. */
  start(app: string): Promise<Upstream[]>;
  status(app: string): Promise<ContainerStatus[]>;
  /** Docker's own description of each of the app's containers (one-offs excluded), as `docker inspect` gives it. */
  inspect(app: string): Promise<unknown[]>;
  upstreams(app: string): Promise<Upstream[]>;
  /** Removes every container of the app, one-offs included. */
  destroy(app: string): Promise<void>;
  /**
   * After an interrupted deploy: removes its upcoming containers and release-phase one-offs,
   * except those publishing one of `servingPorts` (traffic already switched to them). Returns their names.
   */
  removeInterrupted?(app: string, servingPorts: number[]): Promise<string[]>;
  logs(app: string, opts: LogsOptions, onLine: (line: LogLine) => void): Promise<void>;
  /** One-off container; resolves with its exit code. */
  run(app: string, release: ReleaseSpec, command: string[], opts: RunOptions): Promise<number>;
  /** One-off container left running in the background, removed when it exits; resolves with its name. */
  runDetached(app: string, release: ReleaseSpec, command: string[], env?: Record<string, string>): Promise<string>;
  /** The app's one-off containers (`run`, `run:detached`, release phase), running or not. */
  oneOffs(app: string): Promise<ContainerStatus[]>;
  /** Stops (and so removes) the app's one-off container of that name; NoSuchContainerError if it is not one. */
  stopOneOff(app: string, name: string): Promise<void>;
  /** Exec into a running container; resolves with the command's exit code. */
  enter(app: string, processType: string, index: number, command: string[], terminal: Terminal): Promise<number>;
  /**
   * `checks:run`: the release's checks against its running containers (all, one process type, or
   * one `type.N`), now. Resolves with one line per failed container; none means every check passed.
   */
  /**
   * Makes the release's image reachable wherever its processes may run. Resolves with the image
   * reference pushed (swarm: `<registry>/dokku/<app>@sha256:…`, to be recorded with the release),
   * or undefined when the local image serves as it is.
   */
  prepareImage?(release: ReleaseSpec, onLine?: (line: string) => void): Promise<string | undefined>;
  /** Drops the names this scheduler gave a local image (a pruned release's), so the image itself can go. */
  forgetImage?(app: string, image: string): Promise<void>;
  /** Removes the app's processes (not its one-offs) after the app moved to another scheduler. */
  vacate?(app: string): Promise<void>;
  checkRunning?(release: ReleaseSpec, checks: CheckSettings, only: { processType?: string; index?: number }, onLine: (line: string) => void): Promise<string[]>;
}

/** Where a deploy the app made fail stopped: its Procfile release command, or its new containers' checks. */
export type DeployFailurePhase = 'release' | 'checks';

/**
 * A deploy the user's app made fail. The first line of the message is the reason; the failing
 * container's last log lines follow.
 */
export class DeployError extends UserError {
  readonly app: string;
  readonly version: number;
  readonly phase: DeployFailurePhase;
  /** The failing container's name and its last log lines. */
  readonly container: string | undefined;
  readonly logTail: string[];
  constructor(app: string, version: number, phase: DeployFailurePhase, reason: string, container?: string, logTail: string[] = []) {
    // Indented as detail lines, so the error printer keeps them lines of their own (not `\x0a`).
    const tail = logTail.length ? `\n       ${container ?? 'container'} output (last ${logTail.length} lines):${logTail.map((l) => `\n       ${l}`).join('')}` : '';
    super(`Deploy of ${app} v${version} failed: ${reason}${tail}`);
    this.name = 'DeployError';
    this.app = app;
    this.version = version;
    this.phase = phase;
    this.container = container;
    this.logTail = logTail;
  }
}

/** `enter` or `run` named something that does not exist. */
export class NoSuchContainerError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NoSuchContainerError';
  }
}
