/**
 * install.sh in a fresh Debian container made from the offline stack image (no systemd there),
 * with the host's Docker socket handed in and this checkout mounted read-only. It runs twice and
 * the second run changes nothing; then git push over SSH into the installed system deploys an app,
 * and `--demo` deploys the bundled example and prints a URL that answers.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk, FIXTURES } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, workTree } from '../../helpers/sshd.ts';
import { makeOtherHost } from '../../helpers/netns.ts';

const node = TARGETS.find((t) => t.name === 'node')!;
const STACK = 'dokku/stack:bookworm';

interface Result {
  code: number;
  out: string;
}

function docker(args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: 'pipe' });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Every path with its size, mode, owner and type, and the files modified after the marker. */
const SNAPSHOT = `find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/log \\) -prune -o -printf '%p %s %m %u %g %y\\n' | sort`;
const NEWER = `find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/log \\) -prune -o ! -type d -newer /tmp/marker -print`;

describe('install.sh in a fresh Debian container', () => {
  const container = uniqueName('dokku-install');
  const scratch = makeRoot('dokku-install-');
  const hostRoot = makeRoot('dokku-install-host-');
  const demoApp = uniqueName('install-demo');
  const pushedApp = uniqueName('install-push');
  const exec = (script: string, input?: string) => docker(['exec', '-i', container, 'bash', '-c', script], input);
  const key = makeKeyPair(scratch, 'admin');
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((performance.now() - t) / 100) / 10;
    }
  };

  beforeAll(async () => {
    requireDist();
    await connectDocker();
    // The container starts from the stack image, built offline on this host if it is not there yet.
    expectOk(await runCli(node, hostRoot, ['stack:build']), 'stack:build');
    const started = await docker([
      // The host's network, as on a server: nginx there reaches the apps' ports on this host's
      // loopback, and serves the demo on this host's address. No global domain, whatever the
      // machine's name resolves to, so the demo gets a port of its own.
      'run', '-d', '--name', container, '--label', 'com.dokku.test=install', '--network', 'host', '-e', 'DOKKU_INSTALL_DOMAIN=',
      '-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', `${REPO}:/src:ro`, STACK, 'sleep', 'infinity',
    ]);
    if (started.code !== 0) throw new Error(`docker run failed: ${started.out}`);
    const copied = await docker(['cp', key.pub, `${container}:/tmp/admin.pub`]);
    if (copied.code !== 0) throw new Error(copied.out);
  }, 900_000);

  afterAll(async () => {
    for (const app of [demoApp, pushedApp]) await exec(`runuser -u dokku -- dokku apps:destroy ${app} --force`);
    await docker(['rm', '-f', container]);
    removeRoots();
    console.log(`install.sh timings (s): ${JSON.stringify(timings)}`);
  }, 300_000);

  it('runs, and a second run changes nothing', async () => {
    const first = await timed('first run', () => exec('bash /src/install.sh --key /tmp/admin.pub'));
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/Installed (.* )?nginx/);
    expect(first.out).toContain('Created the user dokku');
    expect(first.out).toContain('Wrote /usr/bin/dokku');
    expect(first.out).toContain(`Added admin key admin (${key.fingerprint})`);
    expect(first.out).toContain('=====> Next steps');

    // What the first run set up holds together.
    const checks = await exec(
      [
        'set -e',
        'id -nG dokku | tr " " "\\n" | grep -qx "$(stat -c %G /var/run/docker.sock)"',
        'test "$(stat -c %U /home/dokku/dokku.db)" = dokku',
        'runuser -u dokku -- dokku apps:list >/dev/null',
        'grep -q "^command=\\"NAME=admin FINGERPRINT=.* DOKKU_ROOT=/home/dokku exec /usr/bin/dokku\\"" /home/dokku/.ssh/authorized_keys',
        'runuser -u dokku -- sudo -n nginx -t 2>&1 | grep -q "test is successful"',
        '! runuser -u dokku -- sudo -n true 2>/dev/null',
        'nginx -T 2>/dev/null | grep -q "include \\"/home/dokku/\\*/nginx.conf\\";"',
        'test -x /usr/share/dokku/buildpacks/nodejs/bin/compile',
        'grep -qx "17 3 \\* \\* \\* dokku /usr/bin/dokku letsencrypt:auto-renew" /etc/cron.d/dokku-letsencrypt',
        'echo all-good',
      ].join('\n'),
    );
    expect(checks.out.trim()).toBe('all-good');

    expect((await exec(`${SNAPSHOT} > /tmp/before && touch /tmp/marker && sleep 1.1`)).code).toBe(0);
    const second = await timed('second run', () => exec('bash /src/install.sh --key /tmp/admin.pub'));
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('Nothing to change: dokku is installed as asked');
    const diff = await exec(`${SNAPSHOT} > /tmp/after; diff /tmp/before /tmp/after; ${NEWER}`);
    expect(diff.out).toBe('');
  }, 900_000);

  it('git push over SSH into the installed system deploys as the dokku user; config:set, releases and rollback over SSH', async () => {
    const sshd = await exec('mkdir -p /run/sshd && /usr/sbin/sshd && hostname -i');
    expect(sshd.code, sshd.out).toBe(0);
    const ip = sshd.out.trim().split(/\s+/)[0]!;
    const tree = await workTree(join(FIXTURES, 'procfile'), join(scratch, 'app'));
    await tree.commit('procfile sample');
    const gitSsh = `ssh -i ${key.path} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes`;
    const pushed = await timed('push', () => run('git', ['push', `dokku@${ip}:${pushedApp}`, 'main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: gitSsh } }));
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain('remote: =====> Application deployed:');
    const url = /remote: {8}(http:\/\/127\.0\.0\.1:\d+)/.exec(pushed.stderr)?.[1];
    expect(url, pushed.stderr).toBeDefined();
    expect(await (await fetch(url!, { signal: AbortSignal.timeout(5000) })).text()).toContain('procfile sample');
    const ssh = (command: string) => run('ssh', [...gitSsh.split(' ').slice(1), `dokku@${ip}`, command]);
    expect((await ssh('apps:list')).stdout).toContain(pushedApp);
    // The README's next steps: a config change is a new release, and rollback brings the old one back.
    const urlOf = (out: string) => /Application deployed:\n {7}(http:\/\/\S+)/.exec(out)?.[1];
    const set = await ssh(`config:set ${pushedApp} MESSAGE=hello`);
    expect(set.code, set.stderr).toBe(0);
    expect(await (await fetch(urlOf(set.stdout)!, { signal: AbortSignal.timeout(5000) })).text()).toContain('MESSAGE=hello');
    const releases = JSON.parse((await ssh(`releases ${pushedApp} --format json`)).stdout) as Array<{ version: number; description: string }>;
    expect(releases.map((r) => r.description)).toEqual(['Set MESSAGE', expect.stringMatching(/^Deploy [0-9a-f]{7}$/)]);
    const back = await ssh(`rollback ${pushedApp}`);
    expect(back.code, back.stderr).toBe(0);
    expect(await (await fetch(urlOf(back.stdout)!, { signal: AbortSignal.timeout(5000) })).text()).toContain('MESSAGE=(none)');
    const actor = await exec(`runuser -u dokku -- dokku events ${pushedApp} --format json`);
    expect(new Set((JSON.parse(actor.out) as Array<{ actor: string }>).map((e) => e.actor))).toEqual(new Set(['admin']));
  }, 300_000);

  it('--demo deploys the bundled example and prints a URL that answers', async () => {
    const demo = await timed('demo run', () => exec(`DOKKU_INSTALL_DEMO_APP=${demoApp} bash /src/install.sh --demo`));
    expect(demo.code, demo.out).toBe(0);
    const url = /Demo app: (\S+)/.exec(demo.out)?.[1];
    expect(url, demo.out).toBeDefined();
    // This host's address and the demo's own port, through nginx on every address: it opens from
    // here and from another machine (a network namespace on a veth link).
    expect(url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:\d+$/);
    expect(url).not.toContain('127.0.0.1');
    const body = await (await fetch(url!, { signal: AbortSignal.timeout(5000) })).text();
    expect(body).toContain('Hello from dokku');
    const other = makeOtherHost('inst');
    try {
      const remote = other.curl(url!);
      expect(remote.stderr).toBe('');
      expect(remote.stdout).toContain('Hello from dokku');
    } finally {
      other.remove();
    }
    expect(demo.out).toContain('No global domain');
    const again = await exec(`DOKKU_INSTALL_DEMO_APP=${demoApp} bash /src/install.sh --demo`);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('The demo app is deployed already');
    expect(again.out).toContain('Nothing to change');
    expect(again.out).toContain(`Demo app: ${url}`);
  }, 600_000);

  it('piped into bash, installs from a release tarball at DOKKU_INSTALL_URL', async () => {
    // A release as a maintainer would publish it: the binary, the built-in buildpacks, the examples.
    const release = join(scratch, 'release');
    const made = await run('sh', ['-c', `mkdir -p ${release}/dokku-1 && cp -a dist/dokku buildpacks examples ${release}/dokku-1/ && tar -C ${release} -czf ${release}/dokku.tar.gz dokku-1`], { cwd: REPO });
    expect(made.code, made.stderr).toBe(0);
    // Served over HTTP on the Docker bridge's gateway address, which the container reaches.
    const gateway = (await docker(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'])).out.trim();
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const tarball = readFileSync(`${release}/dokku.tar.gz`);
    const server = createServer((req, res) => {
      if (req.url !== '/dokku.tar.gz') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(tarball);
    });
    await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
    const url = `http://${gateway}:${(server.address() as AddressInfo).port}/dokku.tar.gz`;
    let piped: Result;
    try {
      piped = await exec(`cat /src/install.sh | DOKKU_INSTALL_URL=${url} bash`);
    } finally {
      server.close();
    }
    expect(piped.code, piped.out).toBe(0);
    expect(piped.out).toContain(`Downloading ${url}`);
    // The same program and buildpacks as the checkout's: nothing to replace.
    expect(piped.out).toContain('/usr/bin/dokku is up to date');
    expect(piped.out).toContain('/usr/share/dokku/buildpacks is up to date');
    expect(piped.out).toContain('=====> Next steps');
  }, 300_000);

  it('explains itself: --help, unknown options, and piped without a release URL', async () => {
    const help = await exec('bash /src/install.sh --help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: install\.sh/);
    const bad = await exec('bash /src/install.sh --frobnicate');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('Unknown option --frobnicate');
    const piped = await exec('bash < /src/install.sh');
    expect(piped.code).toBe(1);
    expect(piped.out).toContain('Piped into bash, I need DOKKU_INSTALL_URL');
  }, 120_000);
});
