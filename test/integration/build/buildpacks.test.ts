import { execa } from 'execa';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuildInput } from '../../../src/builder/build-app.ts';
import { BuildError } from '../../../src/builder/errors.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { connectDocker, runInImage, uniqueName } from '../../helpers/docker.ts';
import { fetchBody, FIXTURES, leftovers, removeApp, serve, settings, stackForTests } from './helpers.ts';

const docker = await connectDocker();

/** A buildpack in a local git repository, as `buildpacks:add` would get one by URL. */
async function makeGitBuildpack(root: string, name = 'hello-buildpack', override: Record<string, string> = {}): Promise<string> {
  const repo = join(root, name);
  mkdirSync(join(repo, 'bin'), { recursive: true });
  const scripts: Record<string, string> = {
    detect: '#!/bin/sh\n[ -f "$1/hello.txt" ] || exit 1\necho "Hello"\n',
    compile: [
      '#!/bin/sh',
      'set -eu',
      'echo "-----> Compiling with the hello buildpack"',
      'echo "running as $(id -u):$(id -g), cache at $2"',
      // ENV_DIR has one file per config var, as Heroku's contract says.
      'printf "%s" "$(cat "$3/MESSAGE")" > "$1/message-at-build.txt"',
      'count=$(cat "$2/builds" 2>/dev/null || echo 0); echo $((count + 1)) > "$2/builds"; cp "$2/builds" "$1/build-count.txt"',
      'mkdir -p "$1/.profile.d" && echo \'export GREETING="hello from .profile.d"\' > "$1/.profile.d/hello.sh"',
      '',
    ].join('\n'),
    release: '#!/bin/sh\necho "---"\necho "default_process_types:"\necho "  web: python3 -m http.server \\$PORT --bind 0.0.0.0"\necho "  greet: echo \\$GREETING"\n',
    ...override,
  };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(repo, 'bin', name), text);
    chmodSync(join(repo, 'bin', name), 0o755);
  }
  const git = (...args: string[]) => execa('git', ['-C', repo, ...args], { env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '.');
  await git('commit', '--quiet', '-m', 'hello buildpack');
  await git('tag', 'v1');
  return `file://${repo}`;
}

describe('buildpacks: by git URL, .buildpacks, failures', () => {
  const d = docker!;
  const apps: string[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'dokku-bp-it-'));
  let buildpackUrl = '';

  beforeAll(async () => {
    await stackForTests(d);
    buildpackUrl = await makeGitBuildpack(tmp);
  });
  afterAll(async () => {
    for (const app of apps) await removeApp(d, app);
    rmSync(tmp, { recursive: true, force: true });
  });

  function source(name: string, files: Record<string, string>): string {
    const dir = join(tmp, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  function input(app: string, src: string, extra: Partial<BuildInput> = {}, lines: string[] = []): BuildInput {
    if (!apps.includes(app)) apps.push(app);
    return { docker: d, settings, app, source: src, imageTag: `dokku/${app}:build-1`, env: { MESSAGE: 'shh, a secret value' }, onLine: (l) => lines.push(l), ...extra };
  }

  async function run(image: string, app: string, command: string): Promise<string> {
    return runInImage(d, image, app, command);
  }


  it('clones a buildpack from a git URL and runs it as the build user, with ENV_DIR and a cache that persists', async () => {
    const app = uniqueName('bt-gitbp');
    const src = source('git-app', { 'hello.txt': 'hi', 'index.html': 'served by the hello buildpack' });
    const lines: string[] = [];
    const result = await buildApp(input(app, src, { buildpacks: [`${buildpackUrl}#v1`] }, lines));
    expect(result).toMatchObject({ builder: 'herokuish', buildpack: `${buildpackUrl}#v1` });
    expect(result.processTypes).toEqual({ web: 'python3 -m http.server $PORT --bind 0.0.0.0', greet: 'echo $GREETING' });
    expect(lines).toContain('-----> Hello app detected');
    expect(lines).toContain('-----> Compiling with the hello buildpack');
    expect(lines).toContain('       running as 1000:1000, cache at /cache');

    expect(await run(result.imageTag, app, 'cat /app/message-at-build.txt')).toContain('shh, a secret value');
    expect(await run(result.imageTag, app, 'echo "$GREETING"')).toContain('hello from .profile.d');
    const served = await serve(d, result.imageTag, { app, command: result.processTypes.web });
    try {
      expect(await fetchBody(`${served.url}index.html`)).toBe('served by the hello buildpack');
    } finally {
      await served.container.remove({ force: true });
    }

    // The config reached the build, but is nowhere in the image: not in its environment, not on disk.
    const image = await d.getImage(result.imageTag).inspect();
    expect(JSON.stringify(image.Config)).not.toContain('secret');
    expect(await run(result.imageTag, app, 'test -e /tmp/dokku && echo scratch left; grep -rl "shh, a secret" /tmp /etc /usr/local 2>/dev/null; echo end')).toBe('end\n');

    const again = await buildApp(input(app, src, { buildpacks: [buildpackUrl], imageTag: `dokku/${app}:build-2` }));
    expect(await run(again.imageTag, app, 'cat /app/build-count.txt')).toContain('2');
  });

  it('reads the buildpack list from .buildpacks', async () => {
    const app = uniqueName('bt-dotbp');
    const lines: string[] = [];
    const src = source('dotbp-app', { '.buildpacks': `# ours first\n${buildpackUrl}\n`, 'hello.txt': 'hi', 'package.json': '{}' });
    const result = await buildApp(input(app, src, {}, lines));
    expect(result.buildpack).toBe(buildpackUrl);
    expect(lines[0]).toBe(`-----> Building ${app} with buildpacks (from .buildpacks)`);
  });

  it('runs several buildpacks in order; the last one gives the default process types', async () => {
    const app = uniqueName('bt-multi');
    const src = source('multi-app', { 'hello.txt': 'hi', 'app.py': 'print("python")' });
    const result = await buildApp(input(app, src, { buildpacks: ['python', buildpackUrl] }));
    expect(result.buildpack).toBe(`python,${buildpackUrl}`);
    expect(result.processTypes.web).toBe('python3 -m http.server $PORT --bind 0.0.0.0');
    expect(await run(result.imageTag, app, 'cat /app/.profile.d/python.sh')).toContain('PYTHONPATH');
  });

  it('fails clearly when an explicit buildpack does not accept the app', async () => {
    const app = uniqueName('bt-nodetect');
    const err = await buildApp(input(app, source('no-hello', { 'README.md': '#' }), { buildpacks: [buildpackUrl] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`App not compatible with buildpack: ${buildpackUrl}`);
    expect((await leftovers(d, app)).containers).toBe(0);
  });

  it('fails clearly when no built-in buildpack detects the app', async () => {
    const app = uniqueName('bt-undetected');
    const err = await buildApp(input(app, source('readme-only', { 'README.md': '#' }))).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'detect' });
    expect((err as Error).message).toMatch(/Unable to select a buildpack/);
  });

  it('fails with the step and exit code when compile fails, and removes the build container', async () => {
    const app = uniqueName('bt-fail');
    const src = source('broken-node', { 'package.json': '{"dependencies": {"this-package-does-not-exist-dokku-test": "1.0.0"}}' });
    const lines: string[] = [];
    const err = await buildApp(input(app, src, {}, lines)).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'compile' });
    expect((err as Error).message).toMatch(/^Failed to compile the app with the Node.js buildpack \(nodejs\): exit code \d+$/);
    expect(lines.some((l) => /npm (ERR|error)/.test(l))).toBe(true);
    expect(await leftovers(d, app)).toMatchObject({ containers: 0, images: 0 });
  });

  it('refuses requirements.txt when the package index cannot be reached', async () => {
    const app = uniqueName('bt-pip');
    const src = source('pip-app', { 'requirements.txt': 'requests==2.31.0\n', 'app.py': '' });
    const lines: string[] = [];
    const err = await buildApp(input(app, src, { env: { PIP_INDEX_URL: 'http://127.0.0.1:9/simple/' } }, lines)).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'compile' });
    expect(lines).toContain(' !     requirements.txt lists packages, but the package index http://127.0.0.1:9/simple/ cannot be reached.');
  });

  it('refuses a bad Procfile before building anything', async () => {
    const app = uniqueName('bt-procfile');
    const src = join(tmp, 'bad-procfile');
    cpSync(join(FIXTURES, 'python'), src, { recursive: true });
    writeFileSync(join(src, 'Procfile'), 'web: python3 app.py\nworker\n');
    const err = await buildApp(input(app, src)).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'procfile' });
    expect((err as Error).message).toBe("Invalid Procfile: line 2: expected 'type: command', got 'worker'");
    expect(await leftovers(d, app)).toEqual({ containers: 0, images: 0, volume: false });
  });

  it('reports a Dockerfile that does not build', async () => {
    const app = uniqueName('bt-badfile');
    const src = source('bad-dockerfile', { Dockerfile: `FROM ${settings.stackImage}\nRUN echo building && exit 3\n` });
    const lines: string[] = [];
    const err = await buildApp(input(app, src, {}, lines)).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'dockerfile' });
    expect((err as Error).message).toMatch(/^Dockerfile build failed: .*returned a non-zero code: 3/);
    expect(lines).toContain('       building');
  });

  it('leaves out of a Dockerfile build context what .dockerignore names', async () => {
    const app = uniqueName('bt-ignore');
    const src = source('ignore-app', {
      Dockerfile: `FROM ${settings.stackImage}\nCOPY . /ctx/\nCMD ["true"]\n`,
      '.dockerignore': '# not for the image\nsecret.txt\nnode_modules\n',
      'secret.txt': 'do not ship',
      'node_modules/x.js': '',
      'keep.txt': 'ship',
    });
    const result = await buildApp(input(app, src));
    expect(await run(result.imageTag, app, 'ls -A /ctx')).toBe('.dockerignore\nDockerfile\nkeep.txt\n');
  });

  it("a buildpack build (a tenant's runs the same way) cannot reach the host's loopback services", async () => {
    // A service of the host's on 127.0.0.1, as dokku's own tests and many databases listen.
    const seen: string[] = [];
    const server = createServer((socket) => {
      seen.push(String(socket.remoteAddress));
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const probe = `for (const h of ['127.0.0.1', 'localhost']) { const s = require('net').connect(${port}, h); s.on('connect', () => { console.log('reached ' + h); s.destroy(); }); s.on('error', () => console.log('unreachable ' + h)); }`;
      const url = await makeGitBuildpack(tmp, 'probe-buildpack', { compile: `#!/bin/sh\nnode -e "${probe}"\n` });
      const app = uniqueName('bt-loopback');
      const lines: string[] = [];
      await buildApp(input(app, source('probe-app', { 'hello.txt': 'hi' }), { buildpacks: [url] }, lines));
      expect(lines.filter((l) => /reached|unreachable/.test(l)).map((l) => l.trim()).sort()).toEqual(['unreachable 127.0.0.1', 'unreachable localhost']);
      expect(seen).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('stops a build that runs past its time limit', async () => {
    const app = uniqueName('bt-slow');
    const slow = await makeGitBuildpack(tmp, 'slow-buildpack', { compile: '#!/bin/sh\necho "-----> Thinking for a long time"\nsleep 120\n' });
    const started = performance.now();
    const lines: string[] = [];
    const err = await buildApp(input(app, source('slow-app', { 'hello.txt': 'hi' }), { buildpacks: [slow], timeoutSeconds: 3 }, lines)).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'timeout' });
    expect((err as Error).message).toBe("The build was stopped after 3 seconds, during the Hello buildpack's compile");
    expect(lines).toContain('-----> Thinking for a long time');
    expect(performance.now() - started).toBeLessThan(30_000);
    expect((await leftovers(d, app)).containers).toBe(0);
  });

  it('builds nothing for the null builder', async () => {
    const app = uniqueName('bt-null');
    const result = await buildApp(input(app, join(FIXTURES, 'procfile'), { builder: 'null' }));
    expect(result).toMatchObject({ builder: 'null', imageId: '', processTypes: { web: expect.stringContaining('node -e') } });
    expect(await leftovers(d, app)).toEqual({ containers: 0, images: 0, volume: false });
  });
});
