/**
 * The git namespace's other sources, on one app with real Docker and git: git:sync --build from a
 * repository served over http on loopback, git:from-archive of a zip fetched from the same server,
 * and git:load-image of a `docker save` of an image that is then gone from the host. Each deploy
 * is checked by the page the app serves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, childEnv, eventRows, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-git-sources-');
const scratch = makeRoot('dokku-git-sources-src-');
const dokku = (words: string[], input?: string) => runCli(compiled, root, words, input === undefined ? {} : { input });
const app = uniqueName('gs');
const images: string[] = [];
let docker: Docker;
let server: Server;
let base = '';
let baseImage = '';

function sh(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A Dockerfile app on the test image that serves `page`. */
function writeApp(dir: string, page: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${baseImage}\nCOPY index.html /www/index.html\nEXPOSE 5000\nCMD ["httpd", "-f", "-p", "5000", "-h", "/www"]\n`);
  writeFileSync(join(dir, 'index.html'), `${page}\n`);
}

async function page(): Promise<string> {
  const res = await fetch(`${upstreamOf(root, app)!}/`, { signal: AbortSignal.timeout(5000) });
  return (await res.text()).trim();
}

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  baseImage = await ensureTestImage(docker);
  const work = join(scratch, 'work');
  writeApp(work, 'from git sync');
  sh('git', ['init', '-q', '-b', 'main'], work);
  sh('git', ['add', '.'], work);
  sh('git', ['commit', '-qm', 'first'], work);
  sh('git', ['clone', '-q', '--bare', work, join(scratch, 'repo.git')], scratch);
  sh('git', ['update-server-info'], join(scratch, 'repo.git'));
  const zipped = join(scratch, 'zipsrc');
  writeApp(zipped, 'from a zip');
  sh('zip', ['-q', '-r', join(scratch, 'app.zip'), '.'], zipped);
  server = createServer((req, res) => {
    const path = join(scratch, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (!path.startsWith(scratch) || !existsSync(path) || statSync(path).isDirectory()) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  expectOk(await dokku(['apps:create', app]), 'apps:create');
}, 600_000);

afterAll(async () => {
  await dokku(['apps:destroy', app, '--force']);
  for (const ref of images) await docker?.getImage(ref).remove({ force: true }).catch(() => undefined);
  server?.close();
  removeRoots();
}, 300_000);

describe('git sources', () => {
  it('git:sync --build fetches the repository and deploys it', async () => {
    const r = await dokku(['git:sync', app, `${base}/repo.git`, 'main', '--build']);
    expectOk(r, 'git:sync --build');
    expect(r.stdout).toMatch(new RegExp(`Synced ${app} master at [0-9a-f]{7} from 127\\.0\\.0\\.1`));
    expect(await page()).toBe('from git sync');
    const again = await dokku(['git:sync', app, `${base}/repo.git`, 'main', '--build-if-changes']);
    expectOk(again, 'git:sync --build-if-changes');
    expect(again.stdout).toContain(`Skipping build of ${app}: no changes`);
  }, 600_000);

  it('git:from-archive deploys a zip fetched over http', async () => {
    const r = await dokku(['git:from-archive', app, `${base}/app.zip`, '--archive-type', 'zip']);
    expectOk(r, 'git:from-archive zip');
    expect(await page()).toBe('from a zip');
  }, 600_000);

  it('git:load-image loads a docker save from stdin and deploys it', async () => {
    const ref = `dokku-test/gs-loaded:${Math.random().toString(36).slice(2, 8)}`;
    images.push(ref);
    const c = await docker.createContainer({ Image: baseImage, Cmd: ['/bin/sh', '-c', "mkdir -p /www && echo 'from a loaded image' > /www/index.html && echo 'web: httpd -f -p $PORT -h /www' > /Procfile"] });
    try {
      await c.start();
      await c.wait();
      const [repo, tag] = ref.split(':');
      await c.commit({ _query: { container: c.id, repo, tag, pause: false }, _body: { Cmd: ['/bin/sh'], WorkingDir: '/', Env: ['PATH=/bin'] } } as never);
    } finally {
      await c.remove({ force: true });
    }
    const tar = join(scratch, 'image.tar');
    sh('docker', ['save', '-o', tar, ref], scratch);
    await docker.getImage(ref).remove({ force: true });
    const wrong = await loadImage(tar, 'busybox:nope');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`The image archive does not hold busybox:nope (it holds ${ref})`);
    const before = eventRows(root).length;
    const r = await loadImage(tar, ref);
    expectOk(r, 'git:load-image');
    expect(eventRows(root).length).toBeGreaterThan(before);
    expect(await page()).toBe('from a loaded image');
  }, 600_000);
});

/** git:load-image with the tar piped in as bytes (the CLI helper's input is a string). */
function loadImage(tar: string, ref: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(compiled.command, [...compiled.args, 'git:load-image', app, ref], { env: childEnv(root), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined); // a refusal may exit before reading it all
    createReadStream(tar).pipe(child.stdin);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
