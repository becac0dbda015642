import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_SETTINGS } from '../../../src/lib/check-settings.ts';
import { CheckFailure, httpAddress, tcpAddress, judgeResponse, planChecks, runChecks, type CheckPlan, type CheckTarget, type ContainerCondition, type Probe } from '../../../src/runtime/checks.ts';
import type { CheckSettings, Healthcheck, ReleaseSpec } from '../../../src/lib/types.ts';

const settings: CheckSettings = { ...DEFAULT_CHECK_SETTINGS, wait: 2, timeout: 3, attempts: 4 };
const release = (healthchecks: Record<string, Healthcheck[]> = {}): ReleaseSpec => ({
  app: 'a', version: 1, image: 'i', env: {}, processTypes: { web: 'x', worker: 'y' }, webPort: 5000, healthchecks,
});

describe('planChecks', () => {
  it('skips when checks are disabled or skipped for this deploy', () => {
    expect(planChecks(release(), 'web', { ...settings, enabled: false })).toEqual({ kind: 'skip', reason: 'checks disabled for this app' });
    expect(planChecks(release(), 'web', { ...settings, skip: true })).toEqual({ kind: 'skip', reason: 'checks skipped for this deploy' });
  });

  it('defaults to "port open, still up `wait` seconds later"', () => {
    expect(planChecks(release(), 'web', settings)).toEqual({ kind: 'uptime', portDeadlineMs: 12_000, uptimeMs: 2000 });
    expect(planChecks(release(), 'worker', settings).kind).toBe('uptime');
  });

  it("turns app.json startup checks into HTTP checks with the app's limits over the defaults", () => {
    const plan = planChecks(release({
      web: [
        { type: 'startup', name: 'home', path: 'health', content: 'ok', attempts: 2, timeout: 1, wait: 0.5, initialDelay: 3 },
        { type: 'startup', path: '/ready' },
        { type: 'liveness', path: '/live' },
        { type: 'startup', name: 'port only' },
      ],
    }), 'web', settings);
    expect(plan).toEqual({
      kind: 'http',
      portDeadlineMs: 12_000,
      checks: [
        { name: 'home', path: '/health', content: 'ok', port: 5000, attempts: 2, timeoutMs: 1000, waitMs: 500, initialDelayMs: 3000 },
        { name: 'check 2', path: '/ready', content: undefined, port: 5000, attempts: 4, timeoutMs: 3000, waitMs: 2000, initialDelayMs: 0 },
      ],
    });
  });

  it('only uses the checks of the process type being checked', () => {
    expect(planChecks(release({ web: [{ type: 'startup', path: '/' }] }), 'worker', settings).kind).toBe('uptime');
  });
});

describe('judgeResponse', () => {
  it('passes 2xx and 3xx, and checks content when asked', () => {
    expect(judgeResponse({ content: undefined }, 200, '')).toBeUndefined();
    expect(judgeResponse({ content: undefined }, 302, '')).toBeUndefined();
    expect(judgeResponse({ content: undefined }, 503, '')).toBe('HTTP 503');
    expect(judgeResponse({ content: 'ready' }, 200, 'all ready now')).toBeUndefined();
    expect(judgeResponse({ content: 'ready' }, 200, 'booting')).toBe('response does not contain "ready"');
  });
});

describe('check addresses', () => {
  const target: CheckTarget = { dyno: 'web.1', containerPort: 5000, published: { host: '127.0.0.1', port: 40001 }, containerIp: '172.17.0.5' };
  it('asks the container itself whether its port is open (the published port always accepts)', () => {
    expect(tcpAddress(target)).toEqual({ host: '172.17.0.5', port: 5000 });
    expect(tcpAddress({ ...target, containerIp: undefined })).toEqual({ host: '127.0.0.1', port: 40001 });
    expect(tcpAddress({ ...target, containerPort: undefined })).toBeUndefined();
  });

  it('sends HTTP checks the way nginx goes for the web port, to the container IP for others', () => {
    expect(httpAddress(target, 5000)).toEqual({ host: '127.0.0.1', port: 40001 });
    expect(httpAddress(target, 9000)).toEqual({ host: '172.17.0.5', port: 9000 });
    expect(httpAddress({ ...target, containerIp: undefined }, 9000)).toBeUndefined();
  });
});

/** A scripted container on a virtual clock: no sockets, no Docker, no real waiting. */
function scripted(opts: { opensAtMs?: number; diesAtMs?: number; exitCode?: number; responses?: Array<{ status: number; body: string } | Error> }) {
  let now = 0;
  const calls: string[] = [];
  const responses = [...(opts.responses ?? [])];
  const probe: Probe = {
    async connect(host, port) {
      calls.push(`connect ${host}:${port}`);
      return opts.opensAtMs !== undefined && now >= opts.opensAtMs && !(opts.diesAtMs !== undefined && now >= opts.diesAtMs);
    },
    async get(url) {
      calls.push(`GET ${url}`);
      const r = responses.shift() ?? { status: 200, body: '' };
      if (r instanceof Error) throw r;
      return r;
    },
    async condition(): Promise<ContainerCondition> {
      const dead = opts.diesAtMs !== undefined && now >= opts.diesAtMs;
      return { running: !dead, restarts: 0, exitCode: dead ? (opts.exitCode ?? 1) : undefined };
    },
    async sleep(ms) {
      now += ms;
    },
    now: () => now,
  };
  return { probe, calls, time: () => now };
}

const web: CheckTarget = { dyno: 'web.1', containerPort: 5000, published: { host: '127.0.0.1', port: 40001 }, containerIp: '172.17.0.2' };
const uptime: CheckPlan = { kind: 'uptime', portDeadlineMs: 5000, uptimeMs: 1000 };

describe('runChecks', () => {
  it('waits for the port, then until the container has been up for `wait`, and passes', async () => {
    const { probe, time, calls } = scripted({ opensAtMs: 300 });
    const lines: string[] = [];
    await runChecks(uptime, web, probe, (l) => lines.push(l));
    // The app's 300 ms boot counts towards `wait`: up 1 s in all, not 1.3 s.
    expect(time()).toBe(1000);
    expect(new Set(calls)).toEqual(new Set(['connect 172.17.0.2:5000']));
    expect(lines).toEqual(['web.1: running for 1 s, port 5000 open']);
  });

  it('does not wait again when the port opens after `wait` has passed', async () => {
    const { probe, time } = scripted({ opensAtMs: 1500 });
    await runChecks(uptime, web, probe);
    expect(time()).toBe(1500);
  });

  it('fails when the port never opens', async () => {
    const { probe } = scripted({});
    await expect(runChecks(uptime, web, probe)).rejects.toThrow('web.1: port 5000 did not accept connections within 5 s');
  });

  it('fails at once when the container exits before its port opens', async () => {
    const { probe, time } = scripted({ diesAtMs: 200, exitCode: 3 });
    await expect(runChecks(uptime, web, probe)).rejects.toThrow(new CheckFailure('web.1', 'exited with code 3 before port 5000 opened'));
    expect(time()).toBeLessThan(500);
  });

  it('fails when the container dies during `wait`', async () => {
    const { probe } = scripted({ opensAtMs: 0, diesAtMs: 500, exitCode: 1 });
    await expect(runChecks(uptime, web, probe)).rejects.toThrow('web.1: exited with code 1 within 1 s of starting');
  });

  it('checks a worker (no port) by uptime only', async () => {
    const { probe, calls } = scripted({});
    await runChecks(uptime, { dyno: 'worker.1', containerPort: undefined, published: undefined, containerIp: '172.17.0.3' }, probe);
    expect(calls).toEqual([]);
  });

  it('runs HTTP checks against the published port, retrying with `wait` between attempts', async () => {
    const { probe, calls, time } = scripted({ opensAtMs: 0, responses: [new Error('socket hang up'), { status: 503, body: '' }, { status: 200, body: 'ready' }] });
    const lines: string[] = [];
    const plan: CheckPlan = {
      kind: 'http',
      portDeadlineMs: 5000,
      checks: [{ name: 'health', path: '/health', content: 'ready', port: 5000, attempts: 3, timeoutMs: 1000, waitMs: 2000, initialDelayMs: 500 }],
    };
    await runChecks(plan, web, probe, (l) => lines.push(l));
    expect(calls.filter((c) => c.startsWith('GET'))).toEqual(Array(3).fill('GET http://127.0.0.1:40001/health'));
    expect(time()).toBe(500 + 2000 + 2000);
    expect(lines).toEqual([
      'web.1: health attempt 1/3 failed: socket hang up',
      'web.1: health attempt 2/3 failed: HTTP 503',
      'web.1: health passed (GET /health)',
    ]);
  });

  it('fails an HTTP check after its attempts with the last reason', async () => {
    const { probe } = scripted({ opensAtMs: 0, responses: [{ status: 200, body: 'v1' }, { status: 200, body: 'v1' }] });
    const plan: CheckPlan = {
      kind: 'http',
      portDeadlineMs: 5000,
      checks: [{ name: 'version', path: '/', content: 'v2', port: 5000, attempts: 2, timeoutMs: 1000, waitMs: 10, initialDelayMs: 0 }],
    };
    await expect(runChecks(plan, web, probe)).rejects.toThrow('web.1: version (GET /) failed 2 times: response does not contain "v2"');
  });

  it('does nothing for a skip plan', async () => {
    const { probe, calls } = scripted({});
    await runChecks({ kind: 'skip', reason: 'off' }, web, probe);
    expect(calls).toEqual([]);
  });
});
