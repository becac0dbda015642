/**
 * One app's port mapping that nginx cannot bind must not take another app down. A port free when
 * it was mapped (so neither `nginx -t` nor the port check can see a problem) is then taken by
 * something else on the host; from then on every nginx reload fails to apply. The admin's next
 * `config:set alice FOO=bar` deploys a release whose traffic switch nginx never serves: the deploy
 * must fail loudly (exit 1) and alice's old container must keep answering, also after
 * wait-to-retire has passed. Before the fix it exited 0 and retired the old container: 502.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, errorLines, makeRoot, removeRoots, requireDist, run, withDb } from '../../helpers/cli.ts';
import { expectOk, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { eventually, freePort, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx, webAppSource } from './helpers.ts';
import type Docker from 'dockerode';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

describe('a traffic switch nginx does not serve', () => {
  const root = makeRoot('dokku-unconfirmed-');
  let nginx: TestNginx;
  let docker: Docker;
  let source: string;
  let listener: Server | undefined;
  const [alice, web] = [uniqueName('uc-alice'), uniqueName('uc-web')];
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const body = async (host: string) => {
    const r = await viaNginx(nginx.httpPort, host);
    return `${r.status} ${r.body}`;
  };
  const containersOf = async (app: string) =>
    (await docker.listContainers({ all: true, filters: { label: [`com.dokku.app=${app}`] } })).map((c) => `${c.Labels['com.dokku.process-type']} v${c.Labels['com.dokku.release']} ${c.State}`).sort();

  beforeAll(async () => {
    requireDist();
    docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    source = await webAppSource(docker);
    for (const app of [alice, web]) {
      await ok('apps:create', app);
      await ok('checks:set', app, 'wait', '0');
      await ok('checks:set', app, 'wait-to-retire', '1');
      await ok('domains:add', app, `${app}.test`);
      await ok('config:set', app, `MESSAGE=hello-${app}`, '--no-restart');
      await ok('git:from-archive', app, source);
    }
    expect(await eventually(() => body(`${alice}.test`))).toBe(`200 hello-${alice} v1\n`);
  }, 600_000);

  afterAll(async () => {
    await new Promise((r) => (listener ? listener.close(r) : r(undefined)));
    for (const app of [alice, web]) await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('fails the deploy, removes its new container, and the old one keeps serving', async () => {
    // The mapping is set while web is not routed, on a port that is free then; then something takes it.
    const port = await freePort();
    await ok('proxy:disable', web);
    await ok('ports:set', web, `http:${port}:5000`);
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener!.listen(port, '127.0.0.1', r));
    // nginx -t passes (it does not bind), the reload cannot apply: nginx keeps what it had.
    await dokku('proxy:enable', web);

    const eventsBefore = withDb(root, (db) => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n);
    const r = await dokku('config:set', alice, 'FOO=bar');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const { errors } = errorLines(r.stderr);
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^ ! {5}nginx did not serve the new vhost within 10 s of the reload/);
    expect(r.stdout).not.toContain('Application deployed');

    // The old container answers, also once wait-to-retire (1 s) is long past.
    expect(await body(`${alice}.test`)).toBe(`200 hello-${alice} v1\n`);
    await new Promise((res) => setTimeout(res, 3000));
    expect(await body(`${alice}.test`)).toBe(`200 hello-${alice} v1\n`);
    expect(await containersOf(alice)).toEqual(['web v1 running']);

    // On record: the failed release, and the switch taken back to the upstreams that serve.
    const added = withDb(root, (db) => db.prepare('SELECT type, data FROM events WHERE position > ? ORDER BY position').all(eventsBefore) as Array<{ type: string; data: string }>);
    const types = added.map((e) => e.type);
    expect(types.slice(-3)).toEqual(['TrafficSwitched', 'TrafficSwitched', 'DeployFailed']);
    const [, back] = added.filter((e) => e.type === 'TrafficSwitched').map((e) => JSON.parse(e.data) as { version: number });
    expect(back!.version).toBe(1);
    // State and the vhost on disk point at the old container again.
    const served = (await docker.listContainers({ filters: { label: [`com.dokku.app=${alice}`] } }))[0]!.Ports.find((p) => p.PublicPort)!.PublicPort;
    expect(upstreamOf(root, alice)).toBe(`http://127.0.0.1:${served}`);
    expect((await ok('nginx:show-config', alice)).stdout).toContain(`127.0.0.1:${served}`);
  }, 180_000);

  it('once the port is free again, the next deploy succeeds', async () => {
    await new Promise((r) => listener!.close(r));
    listener = undefined;
    const r = await ok('config:set', alice, 'FOO=baz');
    expect(r.stdout).toContain('Application deployed');
    expect(await eventually(() => body(`${alice}.test`).then((b) => (b.includes(" v3") ? b : Promise.reject(new Error(b)))), 15_000)).toBe(`200 hello-${alice} v3\n`);
  }, 180_000);
});
