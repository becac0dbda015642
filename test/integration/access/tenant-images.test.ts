/**
 * Another app's image, through a real sshd and a real Docker engine: a non-admin key may not
 * deploy an image dokku built for another app, by its `dokku/<app>` name, by id, by another tag of
 * the same image, or by an image labelled for that app; a failed build leaves no `dokku/<app>:build-N`
 * behind; a tenant's `.buildpacks` naming a server path is refused at build time (archive and
 * git push); and a tenant's certificate file paths are refused over sshd while stdin works.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file, writeTar } from '../../../src/lib/tar.ts';
import { TARGETS, eventRows, makeRoot, removeRoots, requireDist, run as runCli, withDb } from '../../helpers/cli.ts';
import { expectOk, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, startSshd, workTree, type KeyPair, type TestSshd } from '../../helpers/sshd.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-tenant-images-');
const scratch = makeRoot('dokku-tenant-images-keys-');
const dokku = (...words: string[]) => runCli(compiled, root, words);

let docker: Docker;
let sshd: TestSshd;
let alice: KeyPair;
let bob: KeyPair;
const apps: string[] = [];
const images: string[] = [];
const aliceApp = uniqueName('ti-alice');
const web = uniqueName('ti-web');

/** A web image made from the busybox test image: a Procfile and a page, plus whatever else is asked. */
async function makeImage(ref: string, opts: { page: string; extra?: string; labels?: Record<string, string> }): Promise<string> {
  const base = await ensureTestImage(docker);
  const script = [
    'mkdir -p /www',
    `echo '${opts.page}' > /www/index.html`,
    "echo 'web: httpd -f -p $PORT -h /www' > /Procfile",
    opts.extra ?? 'true',
  ].join(' && ');
  const c = await docker.createContainer({ Image: base, Cmd: ['/bin/sh', '-c', script] });
  try {
    await c.start();
    await c.wait();
    const [repo, tag] = ref.split(':');
    // As src/builder/exec.ts commits: the query and the body travel apart (docker-modem's _query/_body).
    await c.commit({ _query: { container: c.id, repo, tag, pause: false }, _body: { Cmd: ['/bin/sh'], WorkingDir: '/', Env: ['PATH=/bin'], Labels: opts.labels ?? {} } } as never);
  } finally {
    await c.remove({ force: true });
  }
  images.push(ref);
  return (await docker.getImage(ref).inspect()).Id;
}

async function tagExists(ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
  alice = makeKeyPair(scratch, 'alice');
  bob = makeKeyPair(scratch, 'bob');
  expectOk(await dokku('ssh-keys:add', 'alice', alice.pub), 'ssh-keys:add alice');
  expectOk(await dokku('ssh-keys:add', 'bob', bob.pub), 'ssh-keys:add bob');
  for (const app of [aliceApp, web]) {
    expectOk(await dokku('apps:create', app), `apps:create ${app}`);
    apps.push(app);
  }
  expectOk(await dokku('acl:add', web, 'bob'), 'acl:add');
}, 600_000);

afterAll(async () => {
  for (const app of apps) await dokku('apps:destroy', app, '--force');
  for (const ref of images) await docker?.getImage(ref).remove({ force: true }).catch(() => undefined);
  await sshd?.stop();
  removeRoots();
}, 300_000);

describe("another app's image", () => {
  let aliceImageId: string;
  const secretRef = `dokku-test/ti-secret:${Math.random().toString(36).slice(2, 8)}`;
  const labelledRef = `dokku-test/ti-labelled:${Math.random().toString(36).slice(2, 8)}`;
  const bobsRef = `dokku-test/ti-bobs:${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    aliceImageId = await makeImage(secretRef, { page: 'alice secret' });
    const r = await sshd.ssh(alice, `git:from-image ${aliceApp} ${secretRef}`);
    expect(r.code, r.stderr).toBe(0);
    expect(await tagExists(`dokku/${aliceApp}:build-1`)).toBe(true);
    await makeImage(labelledRef, { page: 'labelled', labels: { 'com.dokku.app': aliceApp } });
    await makeImage(bobsRef, { page: 'bob page' });
  }, 600_000);

  it('is refused to a tenant by name, by id, by another tag of it and by its app label; only AccessDenied is recorded', async () => {
    const refs = [
      `dokku/${aliceApp}:build-1`,
      `docker.io/dokku/${aliceApp}:build-1`,
      `dokku/${aliceApp}`,
      `dokku/${aliceApp}:no-such-tag`,
      aliceImageId,
      aliceImageId.slice('sha256:'.length, 'sha256:'.length + 12),
      secretRef,
      labelledRef,
      'dokku/stack:bookworm',
    ];
    const before = eventRows(root).length;
    for (const ref of refs) {
      const r = await sshd.ssh(bob, `git:from-image ${web} ${ref}`);
      expect(r.code, `${ref}: ${r.stderr}`).toBe(1);
      expect(r.stdout, ref).toBe('');
      expect(r.stderr.trimEnd().split('\n'), ref).toEqual([` !     Access denied for key bob: image ${ref} belongs to another app`]);
    }
    const added = eventRows(root).slice(before);
    expect(added.map((e) => [e.type, e.actor])).toEqual(refs.map(() => ['AccessDenied', 'bob']));
    expect(withDb(root, (db) => db.prepare('SELECT count(*) AS n FROM builds b JOIN apps a ON a.id = b.app_id WHERE a.name = ?').get(web))).toEqual({ n: 0 });
    expect(upstreamOf(root, web)).toBeUndefined();
  }, 120_000);

  it('an admin may deploy any image; a tenant an image no app claims, and then its own', async () => {
    const r = await sshd.ssh(bob, `git:from-image ${web} ${bobsRef}`);
    expect(r.code, r.stderr).toBe(0);
    const res = await fetch(`${upstreamOf(root, web)!}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toContain('bob page');
    const again = await sshd.ssh(bob, `git:from-image ${web} dokku/${web}:build-1`);
    expect(again.code, again.stderr).toBe(0);
    const admin = await sshd.ssh(alice, `git:from-image ${aliceApp} ${labelledRef}`);
    expect(admin.code, admin.stderr).toBe(0);
  }, 300_000);
});

describe('failed builds', () => {
  it('leave no build tag behind: a predeploy that fails after the image was tagged, and a bad Procfile', async () => {
    const app = uniqueName('ti-fail');
    expectOk(await dokku('apps:create', app), 'apps:create');
    apps.push(app);
    const failing = `dokku-test/ti-predeploy:${Math.random().toString(36).slice(2, 8)}`;
    await makeImage(failing, { page: 'x', extra: `echo '{"scripts":{"dokku":{"predeploy":"exit 3"}}}' > /app.json` });
    const r = await dokku('git:from-image', app, failing);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/predeploy command failed with exit code 3/);
    expect(await tagExists(`dokku/${app}:build-1`)).toBe(false);

    const badProcfile = `dokku-test/ti-procfile:${Math.random().toString(36).slice(2, 8)}`;
    await makeImage(badProcfile, { page: 'x', extra: "printf 'web\\n:::\\n' > /Procfile" });
    const bad = await dokku('git:from-image', app, badProcfile);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(await tagExists(`dokku/${app}:build-2`)).toBe(false);
    const builds = JSON.parse((await dokku('builds:list', app, '--format', 'json')).stdout) as Array<{ number: number; status: string }>;
    expect(builds.map((b) => [b.number, b.status])).toEqual([
      [2, 'failed'],
      [1, 'failed'],
    ]);
  }, 300_000);
});

describe('.buildpacks at build time', () => {
  it("a tenant's .buildpacks naming a server path fails the build before anything is fetched; an admin's is tried", async () => {
    const buildpacks = `file://${join(root, `${aliceApp}.git`)}#bp\n`;
    const tar = writeTar([file('Procfile', 'web: httpd -f -p $PORT\n'), file('.buildpacks', buildpacks)]).toString('latin1');
    const r = await sshd.ssh(bob, `git:from-archive ${web} -`, { input: tar });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/Refused buildpack file:\/\/\S*#bp names a path on the server: only admin keys may/);
    expect(r.stderr + r.stdout).not.toMatch(/Fetching buildpack/);
    // The same through git push: the hook's build knows the pusher is a tenant.
    const tree = await workTree(undefined, join(scratch, 'push-tree'));
    await tree.commit('file buildpack', { Procfile: 'web: httpd -f -p $PORT\n', '.buildpacks': buildpacks });
    const pushed = await run('git', ['push', sshd.remote(web), 'main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(bob) } });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/Refused buildpack file:\/\/\S*#bp names a path on the server: only admin keys may/);
    expect(pushed.stderr).not.toMatch(/Fetching buildpack/);

    const admin = await sshd.ssh(alice, `git:from-archive ${aliceApp} -`, { input: tar });
    expect(admin.code).toBe(1);
    expect(admin.stderr + admin.stdout).toMatch(/Fetching buildpack file:\/\//);
  }, 300_000);
});

describe('certificates over sshd', () => {
  it("a tenant's certificate paths are refused; the pair on stdin installs", async () => {
    const keyPath = join(scratch, 'web.key');
    const crtPath = join(scratch, 'web.crt');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', crtPath, '-days', '30', '-subj', '/CN=web.example.org']);
    expect(made.status, String(made.stderr)).toBe(0);
    const aliceId = withDb(root, (db) => (db.prepare('SELECT id FROM apps WHERE name = ?').get(aliceApp) as { id: string }).id);
    const before = eventRows(root).length;
    for (const command of [`certs:add ${web} ${crtPath} ${keyPath}`, `certs:update ${web} ${join(root, 'certs', aliceId, 'server.crt')} ${join(root, 'certs', aliceId, 'server.key')}`, `certs:add ${web} /dev/zero /dev/zero`]) {
      const r = await sshd.ssh(bob, command);
      expect(r.code, command).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), command).toEqual([expect.stringMatching(/^ !     Access denied for key bob: certificate and key files are paths on the server: pipe them on stdin/)]);
    }
    expect(eventRows(root).slice(before).map((e) => e.type)).toEqual(['AccessDenied', 'AccessDenied', 'AccessDenied']);
    const r = await sshd.ssh(bob, `certs:add ${web}`, { input: readFileSync(crtPath, 'utf8') + readFileSync(keyPath, 'utf8') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Added certificate for web.example.org to ${web}`);
  }, 120_000);
});
