import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, run, TARGETS } from '../../helpers/cli.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const docker = await connectDocker();
const app = uniqueName('cancel');

/**
 * builds:cancel of a real build in progress (a Dockerfile whose RUN sleeps): the deploying
 * process is told and exits, the build is recorded canceled, the deploy lock is free again, and
 * a second cancel has nothing to stop.
 */
describe('builds:cancel', () => {
  beforeAll(requireDist);
  afterAll(removeRoots);

  it('stops the running build of the app', async () => {
    const image = await ensureTestImage(docker!);
    const dokku = bindCli(TARGETS[0]!, makeRoot());
    dokku.ok('apps:create', app);
    const src = mkdtempSync(join(tmpdir(), 'dokku-cancel-'));
    writeFileSync(join(src, 'Dockerfile'), `FROM ${image}\nRUN sleep 120\nCMD ["httpd", "-f", "-p", "5000"]\n`);
    const tar = join(src, '..', `${app}.tar`);
    expect(spawnSync('tar', ['-C', src, '-cf', tar, '.']).status).toBe(0);

    const deploy = run(dokku.target, dokku.root, ['git:from-archive', app, tar]);
    const until = Date.now() + 60_000;
    while (!dokku.ok('builds:list', app).includes('running') && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    // Wait for the RUN step, so the cancel lands in Docker's build, not before it.
    while (!existsSync(join(dokku.root, 'builds')) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1500));

    const started = Date.now();
    expect(dokku.ok('builds:cancel', app)).toBe(`-----> Cancelled build 1 of ${app}\n`);
    const pushed = await deploy;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(pushed.code).toBe(143);
    expect(pushed.stdout).toContain(` !     Build 1 of ${app} cancelled`);

    expect(JSON.parse(dokku.ok('builds:list', app, '--format', 'json'))[0]).toMatchObject({ number: 1, status: 'canceled', reason: 'cancelled by root' });
    expect(dokku.ok('builds:report', app, '--build-status').trim()).toBe('canceled');
    expect(eventRows(dokku.root).filter((e) => e.type === 'BuildFailed')).toHaveLength(1);
    expect(existsSync(join(dokku.root, app, 'deploy.lock'))).toBe(false);
    const again = dokku('builds:cancel', app);
    expect([again.code, again.stderr.trim()]).toEqual([1, `!     No build of ${app} is running`]);
    // Docker stops the RUN step's container once the build's client is gone; give it a few seconds.
    const sleeping = async () => (await docker!.listContainers()).filter((c) => c.Command.includes('sleep 120')).map((c) => c.Names[0]);
    const gone = Date.now() + 15_000;
    while ((await sleeping()).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 250));
    expect(await sleeping()).toEqual([]);
  }, 120_000);
});
