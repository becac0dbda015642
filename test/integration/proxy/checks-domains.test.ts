/**
 * checks:run and domains:disable/enable on one deployed app, through a real nginx and Docker: the
 * app's app.json check passes, then fails once its health file is gone; with vhosts off nginx
 * serves the app on its own host port for any name, and with vhosts on again by Host only. nginx
 * listens on every address here, as on a server, and the vhost-less URL is fetched from another
 * network namespace (a second machine on a veth link), as a newcomer's browser would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk, tarOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx } from './helpers.ts';
import { hostAddress } from '../../../src/proxy/host-ports.ts';
import { makeOtherHost, type OtherHost } from '../../helpers/netns.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

describe('checks:run and domains:disable|enable on a running app', () => {
  const root = makeRoot('dokku-checks-domains-');
  let nginx: TestNginx;
  const app = uniqueName('cd');
  // Every address, as install.sh leaves nginx.
  const dokku = (...words: string[]) => run(compiled, root, words, { env: { ...nginx.env, DOKKU_NGINX_LISTEN: '' } });
  // Another machine: a network namespace on a veth pair, its default route through this host.
  let other: OtherHost;
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  /** nginx no longer answers `host` on `port` with the app (old workers may take a last connection while a reload settles). */
  const notServed = (port: number, host: string) =>
    eventually(async () => {
      const reply = await viaNginx(port, host, '/', 1000).catch(() => undefined);
      if (reply?.body === 'hello\n') throw new Error(`${host} still served on ${port}`);
      return reply;
    });
  const exec = (...command: string[]) => spawnSync('docker', ['exec', `${app}.web.1`, ...command], { encoding: 'utf8' });

  beforeAll(async () => {
    requireDist();
    other = makeOtherHost('cd');
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    const image = await ensureTestImage(docker);
    const dir = mkdtempSync(join(tmpdir(), 'dokku-checks-src-'));
    writeFileSync(join(dir, 'Dockerfile'), [`FROM ${image}`, 'COPY www /www', 'EXPOSE 5000', 'CMD ["/bin/sh", "-c", "exec httpd -f -p \\"$PORT\\" -h /www"]', ''].join('\n'));
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www/index.html'), 'hello\n');
    writeFileSync(join(dir, 'www/health'), 'ok\n');
    writeFileSync(join(dir, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', name: 'health', path: '/health', content: 'ok', attempts: 2, wait: 1 }] } }));
    const source = tarOf(dir);
    rmSync(dir, { recursive: true, force: true });
    await ok('apps:create', app);
    await ok('checks:set', app, 'wait-to-retire', '0');
    await ok('domains:add', app, `${app}.test`);
    await ok('git:from-archive', app, source);
    expect((await eventually(() => viaNginx(nginx.httpPort, `${app}.test`))).body).toBe('hello\n');
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    other?.remove();
    removeRoots();
  }, 120_000);

  it('checks:run passes against the running container, for the app and for web.1', async () => {
    const r = await ok('checks:run', app);
    expect(r.stdout).toContain('-----> Running checks for web.1');
    expect(r.stdout).toContain('web.1: health passed (GET /health)');
    expect(r.stdout).toMatch(/-----> Checks passed for .+\n$/);
    expect((await ok('checks:run', app, 'web.1')).stdout).toContain('web.1: health passed');
    const missing = await dokku('checks:run', app, 'web.2');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(` !     No running web.2 containers of ${app} v1 to check\n`);
  }, 60_000);

  it('checks:run fails, exit 1 with the reason, when the check no longer passes; the app keeps running', async () => {
    expect(exec('rm', '/www/health').status).toBe(0);
    try {
      const r = await dokku('checks:run', app);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('web.1: health attempt 1/2 failed: HTTP 404');
      expect(r.stderr).toBe(` !     Checks failed for ${app}: web.1: health (GET /health) failed 2 times: HTTP 404\n`);
      expect((await viaNginx(nginx.httpPort, `${app}.test`)).body).toBe('hello\n');
    } finally {
      exec('sh', '-c', 'echo ok > /www/health');
    }
    await ok('checks:run', app);
  }, 60_000);

  it('domains:disable serves the app on a host port of its own for any name; domains:enable brings the vhost back', async () => {
    const out = (await ok('domains:disable', app)).stdout;
    const port = Number(/served on port (\d+)/.exec(out)![1]);
    const url = `http://${hostAddress('')}:${port}`;
    expect(url).not.toContain('127.0.0.1');
    expect(out).toContain(`(${url})`);
    expect((await eventually(() => viaNginx(port, 'anything.example'))).body).toBe('hello\n');
    expect((await viaNginx(port, `${app}.test`)).body).toBe('hello\n');
    expect((await ok('urls', app)).stdout).toBe(`${url}\n`);
    // From the other machine, by the printed URL.
    const remote = other.curl(url);
    expect(remote.stderr).toBe('');
    expect(remote.stdout).toBe('hello\n');
    // The name-based vhost on the proxy's port is gone.
    await notServed(nginx.httpPort, `${app}.test`);
    expect((await ok('nginx:show-config', app)).stdout).toContain(`listen ${port};`);

    await ok('domains:enable', app);
    expect((await eventually(() => viaNginx(nginx.httpPort, `${app}.test`))).body).toBe('hello\n');
    expect(await notServed(port, 'anything.example')).toBeUndefined();
    expect((await ok('urls', app)).stdout).toBe(`http://${app}.test:${nginx.httpPort}\n`);
  }, 60_000);

  it('proxy:clear-config takes the vhost away; proxy:build-config writes it again', async () => {
    await ok('proxy:clear-config', app);
    expect((await ok('proxy:report', app, '--proxy-vhost-written')).stdout).toBe('false\n');
    expect(await notServed(nginx.httpPort, `${app}.test`)).toBeUndefined();
    await ok('proxy:build-config', app);
    expect((await ok('proxy:report', app, '--proxy-vhost-written')).stdout).toBe('true\n');
    expect((await eventually(() => viaNginx(nginx.httpPort, `${app}.test`))).body).toBe('hello\n');
  }, 60_000);
});
