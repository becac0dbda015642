import type { CheckSettings, Healthcheck, ReleaseSpec } from '../lib/types.ts';

/**
 * Is a freshly started container fit to receive traffic? The decision (which checks, with which
 * limits, what counts as a pass) is pure; the loop that runs it gets its effects (connect, GET,
 * container state, sleep) handed in, so the whole policy is testable without Docker.
 */

/** An app.json check with every limit filled in. */
export interface HttpCheck {
  name: string;
  path: string;
  content: string | undefined;
  /** Container port; the published one when it is the web port. */
  port: number;
  attempts: number;
  timeoutMs: number;
  waitMs: number;
  initialDelayMs: number;
}

export type CheckPlan =
  | { kind: 'skip'; reason: string }
  /**
   * The port (if any) accepts connections, and the container is still running once it has been up
   * `uptimeMs` (counted from its start, so the app's own boot time counts towards it).
   */
  | { kind: 'uptime'; portDeadlineMs: number; uptimeMs: number }
  /** The port accepts connections, then each app.json check passes. */
  | { kind: 'http'; portDeadlineMs: number; checks: HttpCheck[] };

// Limits come whole from the app's settings (defaults in lib/check-settings.ts); a check may override each.
const seconds = (s: number): number => Math.max(0, s * 1000);

/** Which checks a container of `processType` gets. Only app.json `startup` checks gate a deploy. */
export function planChecks(release: ReleaseSpec, processType: string, settings: CheckSettings): CheckPlan {
  if (!settings.enabled) return { kind: 'skip', reason: 'checks disabled for this app' };
  if (settings.skip) return { kind: 'skip', reason: 'checks skipped for this deploy' };
  const portDeadlineMs = seconds(settings.timeout * settings.attempts);
  const startup = (release.healthchecks[processType] ?? []).filter((h) => (h.type ?? 'startup') === 'startup');
  const http = startup.filter((h): h is Healthcheck & { path: string } => typeof h.path === 'string' && h.path !== '');
  if (http.length === 0) return { kind: 'uptime', portDeadlineMs, uptimeMs: seconds(settings.wait) };
  return {
    kind: 'http',
    portDeadlineMs,
    checks: http.map((h, i) => ({
      name: h.name ?? `check ${i + 1}`,
      path: h.path.startsWith('/') ? h.path : `/${h.path}`,
      content: h.content,
      port: h.port ?? release.webPort,
      attempts: Math.max(1, Math.floor(h.attempts ?? settings.attempts)),
      timeoutMs: seconds(h.timeout ?? settings.timeout),
      waitMs: seconds(h.wait ?? settings.wait),
      initialDelayMs: seconds(h.initialDelay ?? 0),
    })),
  };
}

/** Why a response fails a check, or undefined when it passes (2xx/3xx, and the content if asked). */
export function judgeResponse(check: Pick<HttpCheck, 'content'>, status: number, body: string): string | undefined {
  if (status < 200 || status >= 400) return `HTTP ${status}`;
  if (check.content !== undefined && !body.includes(check.content)) return `response does not contain ${JSON.stringify(check.content)}`;
  return undefined;
}

/** How a check reaches a container: its own IP on the bridge, and the port published on loopback. */
export interface CheckTarget {
  /** `web.1`, for messages. */
  dyno: string;
  /** Port the process listens on inside the container (web), if any. */
  containerPort: number | undefined;
  published: { host: string; port: number } | undefined;
  containerIp: string | undefined;
}

/**
 * "Does the process accept connections" must ask the container itself: Docker's published port
 * accepts a connection even when nothing listens behind it. The published port is the fallback
 * for setups where the host cannot reach container IPs.
 */
export function tcpAddress(target: CheckTarget): { host: string; port: number } | undefined {
  if (target.containerPort === undefined) return undefined;
  return target.containerIp ? { host: target.containerIp, port: target.containerPort } : target.published;
}

/** HTTP checks go the way nginx will: the published port for the web port, else the container's IP. */
export function httpAddress(target: CheckTarget, port: number): { host: string; port: number } | undefined {
  if (target.published && port === target.containerPort) return target.published;
  return target.containerIp ? { host: target.containerIp, port } : undefined;
}

export interface ContainerCondition {
  running: boolean;
  restarts: number;
  exitCode: number | undefined;
}

/** The effects a check needs. */
export interface Probe {
  connect(host: string, port: number, timeoutMs: number): Promise<boolean>;
  get(url: string, timeoutMs: number): Promise<{ status: number; body: string }>;
  condition(): Promise<ContainerCondition>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** A check said no: the deploy fails with this reason and the container's log. */
export class CheckFailure extends Error {
  constructor(readonly dyno: string, reason: string) {
    super(`${dyno}: ${reason}`);
    this.name = 'CheckFailure';
  }
}

const POLL_MS = 100;

function describeStop(c: ContainerCondition): string {
  if (c.restarts > 0) return `crashed and was restarted ${c.restarts} time${c.restarts === 1 ? '' : 's'}`;
  return c.exitCode === undefined ? 'is not running' : `exited with code ${c.exitCode}`;
}

async function assertUp(target: CheckTarget, probe: Probe, when: string): Promise<void> {
  const c = await probe.condition();
  if (!c.running || c.restarts > 0) throw new CheckFailure(target.dyno, `${describeStop(c)} ${when}`);
}

/** Poll until the port accepts a connection, failing early if the container dies. */
async function awaitPort(target: CheckTarget, probe: Probe, deadlineMs: number): Promise<void> {
  const address = tcpAddress(target);
  if (!address) return;
  const until = probe.now() + deadlineMs;
  for (;;) {
    await assertUp(target, probe, `before port ${target.containerPort} opened`);
    if (await probe.connect(address.host, address.port, Math.min(1000, Math.max(1, until - probe.now())))) return;
    if (probe.now() >= until) {
      throw new CheckFailure(target.dyno, `port ${target.containerPort} did not accept connections within ${Math.round(deadlineMs / 1000)} s`);
    }
    await probe.sleep(POLL_MS);
  }
}

async function runHttpCheck(target: CheckTarget, check: HttpCheck, probe: Probe, say: (l: string) => void): Promise<void> {
  const address = httpAddress(target, check.port);
  if (!address) throw new CheckFailure(target.dyno, `${check.name}: port ${check.port} is not reachable`);
  const url = `http://${address.host}:${address.port}${check.path}`;
  if (check.initialDelayMs > 0) await probe.sleep(check.initialDelayMs);
  let reason = '';
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    await assertUp(target, probe, `during ${check.name}`);
    try {
      const res = await probe.get(url, check.timeoutMs);
      const failed = judgeResponse(check, res.status, res.body);
      if (failed === undefined) {
        say(`${target.dyno}: ${check.name} passed (GET ${check.path})`);
        return;
      }
      reason = failed;
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    say(`${target.dyno}: ${check.name} attempt ${attempt}/${check.attempts} failed: ${reason}`);
    if (attempt < check.attempts) await probe.sleep(check.waitMs);
  }
  throw new CheckFailure(target.dyno, `${check.name} (GET ${check.path}) failed ${check.attempts} times: ${reason}`);
}

/** Runs a plan against one container; resolves when it passes, throws CheckFailure when not. */
export async function runChecks(plan: CheckPlan, target: CheckTarget, probe: Probe, say: (line: string) => void = () => {}): Promise<void> {
  if (plan.kind === 'skip') return;
  // Checks begin once the container has started, so this is a lower bound of its uptime.
  const startedBy = probe.now();
  await awaitPort(target, probe, plan.portDeadlineMs);
  if (plan.kind === 'uptime') {
    await probe.sleep(Math.max(0, plan.uptimeMs - (probe.now() - startedBy)));
    await assertUp(target, probe, `within ${plan.uptimeMs / 1000} s of starting`);
    const address = tcpAddress(target);
    if (address && !(await probe.connect(address.host, address.port, 1000))) {
      throw new CheckFailure(target.dyno, `port ${target.containerPort} stopped accepting connections`);
    }
    say(`${target.dyno}: running for ${plan.uptimeMs / 1000} s${address ? `, port ${target.containerPort} open` : ''}`);
    return;
  }
  for (const check of plan.checks) await runHttpCheck(target, check, probe, say);
  await assertUp(target, probe, 'after its checks');
}
