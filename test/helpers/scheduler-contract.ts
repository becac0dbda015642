/**
 * What every scheduler promises, run through the compiled CLI against real Docker and nginx: a
 * deploy answers through nginx, a scale adds and removes web processes, a failed check keeps the
 * old release serving, stop and start, logs, a one-off `run`, and a rollback restoring an earlier
 * release. docker-local (test/integration/runtime/scheduler-contract.test.ts) and swarm
 * (test/integration/swarm/swarm.test.ts) each run it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { expect, it } from 'vitest';
import type { RunResult } from './cli.ts';
import { expectOk, tarOf } from './deploy.ts';
import { ensureTestImage } from './test-image.ts';

export interface ContractHarness {
  app: string;
  domain: string;
  dokku(...words: string[]): Promise<RunResult>;
  /** GET / through nginx with the app's domain. */
  get(path?: string): Promise<{ status: number; body: string }>;
}

/**
 * A busybox web app: says `$MESSAGE $DOKKU_RELEASE_VERSION` on /, logs `booting $DYNO` and every
 * response, and with `brokenCheck` ships an app.json startup check that can never pass.
 */
export async function contractAppSource(docker: Docker, opts: { brokenCheck?: boolean } = {}): Promise<string> {
  const image = await ensureTestImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'dokku-contract-src-'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM ${image}`,
      'COPY www /www',
      'EXPOSE 5000',
      'CMD ["/bin/sh", "-c", "echo \\"booting $DYNO\\"; echo \\"$MESSAGE $DOKKU_RELEASE_VERSION\\" > /www/index.html && exec httpd -f -v -p \\"$PORT\\" -h /www"]',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www/ok'), 'ok\n');
  if (opts.brokenCheck) {
    // Its own image too (app.json is not copied into it), as a change of code would make.
    writeFileSync(join(dir, 'www/version'), 'broken\n');
    writeFileSync(join(dir, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', name: 'missing page', path: '/missing', attempts: 2, wait: 1, timeout: 2 }] } }));
  }
  const out = tarOf(dir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const report = async (h: ContractHarness): Promise<Record<string, string>> => {
  const r = await h.dokku('ps:report', h.app, '--format', 'json');
  expectOk(r, 'ps:report');
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string>;
};

const webStatuses = (r: Record<string, string>): string[] => Object.keys(r).filter((k) => k.startsWith('status-web-')).map((k) => r[k]!);

/** Registers the contract's tests; `harness()` is called inside each, after the caller's beforeAll. */
export function schedulerContract(harness: () => ContractHarness, sources: () => { good: string; broken: string }, timeoutMs = 300_000): void {
  const ok = async (h: ContractHarness, ...words: string[]) => {
    const r = await h.dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };

  it('deploys a release that answers through nginx', async () => {
    const h = harness();
    await ok(h, 'config:set', h.app, 'MESSAGE=first', '--no-restart');
    const r = await ok(h, 'git:from-archive', h.app, sources().good);
    expect(r.stdout).toMatch(/Switched traffic to v1/);
    expect(await h.get()).toEqual({ status: 200, body: 'first v1\n' });
    const ps = await report(h);
    expect(ps).toMatchObject({ deployed: 'true', running: 'true', 'current-release': 'v1' });
    expect(webStatuses(ps)).toHaveLength(1);
  }, timeoutMs);

  it('scales web up and down, nginx following', async () => {
    const h = harness();
    await ok(h, 'ps:scale', h.app, 'web=2');
    let ps = await report(h);
    expect(webStatuses(ps).filter((s) => s.startsWith('running'))).toHaveLength(2);
    expect(ps.upstreams!.split(' ')).toHaveLength(2);
    expect(await h.get()).toEqual({ status: 200, body: 'first v1\n' });
    await ok(h, 'ps:scale', h.app, 'web=1');
    ps = await report(h);
    expect(webStatuses(ps)).toHaveLength(1);
    expect(ps.upstreams!.split(' ')).toHaveLength(1);
    expect(await h.get()).toEqual({ status: 200, body: 'first v1\n' });
  }, timeoutMs);

  it('keeps the old release serving when the new one fails its checks', async () => {
    const h = harness();
    const r = await h.dokku('git:from-archive', h.app, sources().broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Deploy of .* v2 failed: check failed for web\.1: missing page \(GET \/missing\) failed 2 times: HTTP 404/);
    expect(await h.get()).toEqual({ status: 200, body: 'first v1\n' });
    const ps = await report(h);
    expect(ps['current-release']).toBe('v1');
    expect(webStatuses(ps)).toHaveLength(1);
  }, timeoutMs);

  it('stops and starts', async () => {
    const h = harness();
    await ok(h, 'ps:stop', h.app);
    expect((await report(h)).running).toBe('false');
    expect((await h.get()).status).not.toBe(200);
    await ok(h, 'ps:start', h.app);
    expect((await report(h)).running).toBe('true');
    expect(await h.get()).toEqual({ status: 200, body: 'first v1\n' });
  }, timeoutMs);

  it("shows the processes' logs by dyno", async () => {
    const h = harness();
    await h.get('/ok');
    // The engine may hand over a task's lines a moment after they were written.
    let out = '';
    for (let i = 0; i < 20 && !/web\.1.*response:200/.test(out); i++) {
      const r = await ok(h, 'logs', h.app);
      out = r.stdout + r.stderr;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(out).toMatch(/app\[web\.1\]: booting web\.1/);
    expect(out).toMatch(/app\[web\.1\]: .*response:200/);
  }, timeoutMs);

  it('runs a one-off command from the release, with its exit code', async () => {
    const h = harness();
    const r = await ok(h, 'run', h.app, 'sh', '-c', 'echo "one-off of $DOKKU_APP_NAME with $MESSAGE"');
    expect(r.stdout).toContain(`one-off of ${h.app} with first`);
    expect((await h.dokku('run', h.app, 'sh', '-c', 'exit 3')).code).toBe(3);
  }, timeoutMs);

  it('restores an earlier release with rollback', async () => {
    const h = harness();
    await ok(h, 'config:set', h.app, 'MESSAGE=second');
    expect(await h.get()).toEqual({ status: 200, body: 'second v3\n' });
    await ok(h, 'rollback', h.app, 'v1');
    expect(await h.get()).toEqual({ status: 200, body: 'first v4\n' });
    expect((await report(h))['current-release']).toBe('v4');
  }, timeoutMs);
}
