/**
 * `run`, `run:detached` and `enter` on the compiled binary against the real Docker engine: every word
 * after the app (and after the process for `enter`) is the command's own, options included; exit
 * codes pass through; a first word naming a Procfile process type runs that entry with the rest as
 * its arguments; a detached one-off prints its name, runs in the background and is gone once it exits.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { deployImageApp, expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-run-');
const app = uniqueName('it-run');
const dokku = (...words: string[]) => runCli(compiled, root, words);
const viaSsh = (command: string) => runCli(compiled, root, [], { env: { SSH_ORIGINAL_COMMAND: command } });
const image = `dokku-test/it-run:${Math.random().toString(36).slice(2, 8)}`;
let docker: Docker;

const PROCFILE = [
  'web: httpd -f -p $PORT -h /www',
  `args: printf '<%s>'`,
  'greet: echo hello from the Procfile',
  'nap: sleep 5; :',
].join('\n');

/** The busybox test image with a Procfile and a page, as git:from-image takes it. */
async function makeImage(): Promise<void> {
  const base = await ensureTestImage(docker);
  const script = `mkdir -p /www && echo ok > /www/index.html && printf '%s\\n' "$PROCFILE" > /Procfile`;
  const c = await docker.createContainer({ Image: base, Cmd: ['/bin/sh', '-c', script], Env: [`PROCFILE=${PROCFILE}`] });
  try {
    await c.start();
    await c.wait();
    const [repo, tag] = image.split(':');
    await c.commit({ _query: { container: c.id, repo, tag, pause: false }, _body: { Cmd: ['/bin/sh'], WorkingDir: '/', Env: ['PATH=/bin'] } } as never);
  } finally {
    await c.remove({ force: true });
  }
}

async function containerState(name: string): Promise<string | undefined> {
  try {
    return (await docker.getContainer(name).inspect()).State.Status;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  await makeImage();
  await deployImageApp(dokku, app, image);
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  removeRoots();
}, 120_000);

describe('run', () => {
  it("passes the command's own options through and its exit code back", async () => {
    const seven = await dokku('run', app, 'sh', '-c', 'exit 7');
    expect(seven.code, seven.stderr).toBe(7);
    expect(seven.stderr).toBe('');

    const flags = await dokku('run', app, 'echo', '--noinput', '-c', '--help', '-n', 'x');
    expect(flags.code, flags.stderr).toBe(0);
    expect(flags.stdout).toBe('--noinput -c --help -n x\n');

    // The form with a separator still works, and a second `--` is the program's.
    const separated = await dokku('run', app, '--', 'echo', '--', 'a');
    expect(separated.stdout).toBe('-- a\n');
  });

  it('over SSH: the quoted command arrives as the words typed, shell characters included', async () => {
    const seven = await viaSsh(`run ${app} sh -c 'exit 7'`);
    expect(seven.code, seven.stderr).toBe(7);
    const literal = await viaSsh(`run ${app} printf '%s|' 'a&b' '$(id)' ';' "c d"`);
    expect(literal.code, literal.stderr).toBe(0);
    expect(literal.stdout).toBe('a&b|$(id)|;|c d|');
  });

  it("a first word naming a Procfile process type runs that entry, the rest appended as its arguments", async () => {
    const greet = await dokku('run', app, 'greet');
    expect(greet.code, greet.stderr).toBe(0);
    expect(greet.stdout).toBe('hello from the Procfile\n');
    expect(greet.stderr).toBe("-----> Found 'greet' in Procfile, running that command\n");

    // Each appended word is one argument of the entry, never more shell text.
    const args = await dokku('run', app, 'args', 'a b', '$(id)', '--flag');
    expect(args.code, args.stderr).toBe(0);
    expect(args.stdout).toBe('<a b><$(id)><--flag>');

    // Not a process type: the word is the program.
    const plain = await dokku('run', app, 'echo', 'greet');
    expect(plain.stdout).toBe('greet\n');
    expect(plain.stderr).toBe('');
  });

  it('without a command it says what to give', async () => {
    const r = await dokku('run', app);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     Give a command to run, e.g. dokku run myapp node -v\n');
  });
});

describe('run:detached', () => {
  it('prints the container name, runs in the background and is removed once it exits', async () => {
    const r = await dokku('run:detached', app, 'sh', '-c', 'sleep 3; exit 4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^${app}\\.run\\.[0-9a-f]{6}\\n$`));
    const name = r.stdout.trim();
    expect(await containerState(name)).toBe('running');
    const inspected = await docker.getContainer(name).inspect();
    expect(inspected.Config.Cmd).toEqual(['sh', '-c', 'sleep 3; exit 4']);
    expect(inspected.Config.Labels['com.dokku.one-off']).toBe('true');
    let state = await containerState(name);
    for (let i = 0; i < 100 && state !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await containerState(name);
    }
    expect(state).toBeUndefined();
  });

  it('runs a Procfile entry by its process type, and takes options for the command', async () => {
    const r = await dokku('run:detached', app, 'nap', '--not-for-dokku');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("-----> Found 'nap' in Procfile, running that command\n");
    const inspected = await docker.getContainer(r.stdout.trim()).inspect();
    expect(inspected.Config.Cmd).toEqual(['/bin/sh', '-c', 'sleep 5; : "$@"', 'nap', '--not-for-dokku']);
  });

  it('on an app that was never deployed says so', async () => {
    const other = uniqueName('it-run-none');
    expectOk(await dokku('apps:create', other), 'apps:create');
    const r = await dokku('run:detached', other, 'true');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     ${other} has not been deployed\n`);
    await dokku('apps:destroy', other, '--force');
  });
});

describe('enter', () => {
  it("passes the command's options through and its exit code back", async () => {
    const five = await dokku('enter', app, 'web', 'sh', '-c', 'exit 5');
    expect(five.code, five.stderr).toBe(5);
    const flags = await dokku('enter', app, 'web.1', 'printf', '%s|', '-c', '--noinput');
    expect(flags.code, flags.stderr).toBe(0);
    expect(flags.stdout).toBe('-c|--noinput|');
    const ssh = await viaSsh(`enter ${app} web sh -c 'exit 6'`);
    expect(ssh.code, ssh.stderr).toBe(6);
  });
});
