/**
 * git:from-archive against hostile and broken input, as an admin and as a tenant (a key given one
 * app), on the real Docker engine and (where the hole was over SSH) the real sshd: server paths,
 * host-local URLs, archives that leave the source root, empty and cut-off uploads, Dockerfiles that
 * crash or fetch URLs, memory on huge entries, and the stdin race (every run deploys or fails loudly).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryBytes, file, headerBytes, paddingFor, symlink, TAR_END, writeTar, type TarEntry } from '../../../src/lib/tar.ts';
import { eventRows, makeRoot, removeRoots, requireDist, run as runCli, STACK_TRACE, TARGETS, childEnv, type Target } from '../../helpers/cli.ts';
import { expectOk, FIXTURES } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, sshArgs, startSshd, workTree, type KeyPair, type TestSshd } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const node = TARGETS.find((t) => t.name === 'node')!;
const PROCFILE = readFileSync(join(FIXTURES, 'procfile', 'Procfile'));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set of the CLI process (VmHWM), in bytes. */
  peak: number;
}

/**
 * Runs the CLI with stdin fed by a separate `cat FILE` process through a pipe (as
 * `tar -c . | dokku …` does), or over ssh when `ssh` is given, and samples the CLI's VmHWM.
 */
function runPiped(target: Target, root: string, words: string[], opts: { input?: string; env?: Record<string, string>; ssh?: { sshd: TestSshd; key: KeyPair } } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const feeder = opts.input ? spawn('cat', [opts.input], { stdio: ['ignore', 'pipe', 'ignore'] }) : undefined;
    const stdin = feeder ? feeder.stdout! : 'ignore';
    const child = opts.ssh
      ? spawn('ssh', [...sshArgs(opts.ssh.key, opts.ssh.sshd.port), `${opts.ssh.sshd.user}@127.0.0.1`, words.join(' ')], { stdio: [stdin, 'pipe', 'pipe'], env: childEnv(root) })
      : spawn(target.command, [...target.args, ...words], { env: childEnv(root, opts.env), stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // exited
      }
    };
    const timer = setInterval(sample, 20);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', sample);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? 128, stdout, stderr, peak });
    });
  });
}

/** A tenant's call: the forced command's environment, the words in SSH_ORIGINAL_COMMAND. */
const tenantEnv = (key: KeyPair, command: string) => ({ NAME: 'bob', FINGERPRINT: key.fingerprint, SSH_ORIGINAL_COMMAND: command });

function oneErrorLine(r: { code: number; stderr: string }, message: RegExp, code = 1): void {
  expect(r.stderr, r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toEqual([expect.stringMatching(/^ !     /)]);
  expect(r.stderr).toMatch(message);
  expect(r.code, r.stderr).toBe(code);
}

const root = makeRoot('dokku-archives-');
const nodeRoot = makeRoot('dokku-archives-node-');
const scratch = makeRoot('dokku-archives-files-');
const web = uniqueName('arc-web');
const nodeWeb = uniqueName('arc-nweb');
let alice: KeyPair;
let bob: KeyPair;
let sshd: TestSshd;
const dokku = (...words: string[]) => runCli(compiled, root, words);
const newEvents = (before: number) => eventRows(root).slice(before).map((e) => e.type);
let n = 0;
const archiveFile = (data: Buffer, name = 'a.tar'): string => {
  const path = join(scratch, `${n++}-${name}`);
  writeFileSync(path, data);
  return path;
};

beforeAll(async () => {
  requireDist();
  await connectDocker();
  sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
  alice = makeKeyPair(scratch, 'alice');
  bob = makeKeyPair(scratch, 'bob');
  expectOk(await dokku('stack:build'), 'stack:build');
  expectOk(await dokku('ssh-keys:add', 'alice', alice.pub), 'ssh-keys:add alice');
  expectOk(await dokku('ssh-keys:add', 'bob', bob.pub), 'ssh-keys:add bob');
  expectOk(await dokku('apps:create', web), 'apps:create');
  expectOk(await dokku('acl:add', web, 'bob'), 'acl:add');
  expectOk(await runCli(node, nodeRoot, ['apps:create', nodeWeb]), 'apps:create (node)');
}, 900_000);

afterAll(async () => {
  await dokku('apps:destroy', web, '--force');
  await runCli(node, nodeRoot, ['apps:destroy', nodeWeb, '--force']);
  await sshd?.stop();
  removeRoots();
}, 120_000);

describe('hole 1: a tenant names no server path', () => {
  it('a path (existing or not) is refused before it is touched, with only AccessDenied recorded; over sshd too', async () => {
    const before = eventRows(root).length;
    for (const path of [root, join(root, 'dokku.db'), '/etc/passwd', '/nonexistent/x.tar']) {
      const r = await runCli(compiled, root, [], { env: tenantEnv(bob, `git:from-archive ${web} ${path}`) });
      oneErrorLine(r, /^ !     Access denied for key bob: a path on the server may not be named/);
    }
    const viaSsh = await runPiped(compiled, root, ['git:from-archive', web, '/etc'], { ssh: { sshd, key: bob } });
    oneErrorLine(viaSsh, /Access denied for key bob: a path on the server may not be named/);
    expect(newEvents(before)).toEqual(Array(5).fill('AccessDenied'));
  });

  describe('URLs', () => {
    let server: Server;
    let port = 0;
    const good = writeTar([file('Procfile', PROCFILE)]);
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${port}/app.tar` }).end();
          return;
        }
        res.end(good);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('a tenant may not fetch from this server (loopback by address or by name)', async () => {
      const before = eventRows(root).length;
      for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.1.2.3', 'LOCALHOST']) {
        const r = await runCli(compiled, root, [], { env: tenantEnv(bob, `git:from-archive ${web} http://${host}:${port}/app.tar`) });
        oneErrorLine(r, /^ !     Access denied for key bob: the URL's host .* (is this server|an address of this server)/i);
      }
      expect(newEvents(before)).toEqual(Array(5).fill('AccessDenied'));
    });

    it('an admin deploys from an http URL (redirects followed); a URL that cannot be fetched fails in one line', async () => {
      const before = eventRows(root).filter((e) => e.type === 'ReleaseCreated').length;
      const r = await runPiped(compiled, root, ['git:from-archive', web, `http://127.0.0.1:${port}/redirect`]);
      expect(r.code, r.stderr).toBe(0);
      expect(eventRows(root).filter((e) => e.type === 'ReleaseCreated').length).toBe(before + 1);
      const bad = await runCli(compiled, root, ['git:from-archive', web, 'http://127.0.0.1:1/nothing.tar']);
      oneErrorLine(bad, /Could not download http:\/\/127\.0\.0\.1:1\/nothing\.tar/);
    }, 120_000);
  });
});

describe('hole 11: entries that leave the source root are refused before the build starts', () => {
  const cases: Array<[string, () => Buffer, RegExp]> = [
    ['../ path', () => writeTar([file('Procfile', PROCFILE), file('../../evil', 'x')]), /'\.\.\/\.\.\/evil' has a '\.\.' in its path/],
    ['absolute path', () => writeTar([file('Procfile', PROCFILE), file('/usr/local/bin/run-with-profile', '#!/bin/sh\nid\n')]), /is an absolute path/],
    ['symlink to /etc, then a file through it', () => writeTar([symlink('etc', '/etc'), file('etc/cron.d/x', 'x')]), /symlink 'etc' points outside the source root \(\/etc\)/],
    ['symlink climbing out', () => writeTar([file('Procfile', PROCFILE), symlink('x', '../../..')]), /symlink 'x' points outside/],
    ['hard link to a missing target', () => writeTar([file('Procfile', PROCFILE), { path: 'link', type: 'hardlink', mode: 0o644, linkname: 'missing' }]), /hard link 'link' points to 'missing'/],
    ['hard link outside', () => writeTar([file('Procfile', PROCFILE), { path: 'link', type: 'hardlink', mode: 0o644, linkname: '../../etc/shadow' }]), /hard link 'link' points outside/],
    ['gzip of a climbing entry', () => gzipSync(writeTar([file('Procfile', PROCFILE), file('a/../../b', 'x')])), /has a '\.\.' in its path/],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: one line, exit 1, nothing recorded`, async () => {
      const before = eventRows(root).length;
      const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: archiveFile(make()) });
      oneErrorLine(r, message);
      expect(r.stderr).toMatch(/^ !     Refusing the archive: /);
      expect(newEvents(before)).toEqual([]);
    });
  }

  it('a device file (tar of /dev/null) is refused, over sshd by a tenant too', async () => {
    const dev = join(scratch, 'dev.tar');
    const made = spawn('tar', ['-C', '/', '-cf', dev, 'dev/null']);
    await new Promise((r) => made.on('close', r));
    const before = eventRows(root).length;
    const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: dev, ssh: { sshd, key: bob } });
    oneErrorLine(r, /Refusing the archive: 'dev\/null' is a character device/);
    expect(newEvents(before)).toEqual([]);
  });
});

describe('empty, cut-off and wrong input: one line, exit 1, nothing recorded', () => {
  const whole = writeTar([file('Procfile', PROCFILE), file('data.bin', Buffer.alloc(100_000, 7))]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['zero bytes', Buffer.alloc(0), /The archive on stdin is empty/],
    ['cut mid-entry', whole.subarray(0, 50_000), /not a readable tar archive: Truncated tar archive/],
    ['cut at an entry boundary (no end marker)', whole.subarray(0, 1024), /truncated: it ends without the end-of-archive marker/],
    ['only the end marker', TAR_END, /The source archive is empty/],
    ['not a tar', Buffer.from('hello, this is not an archive\n'.repeat(40)), /not a readable tar archive: Not a tar archive/],
    ['cut-off gzip', gzipSync(whole).subarray(0, 200), /not a readable tar archive/],
  ];
  for (const [what, data, message] of cases) {
    it(what, async () => {
      const before = eventRows(root).length;
      const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: archiveFile(data) });
      oneErrorLine(r, message);
      expect(newEvents(before)).toEqual([]);
    });
  }

  it('a directory given as the archive (admin) is one line, and no build is recorded', async () => {
    const before = eventRows(root).length;
    const r = await dokku('git:from-archive', web, join(FIXTURES, 'procfile'));
    oneErrorLine(r, /is a directory: give a tar or tar\.gz file, or - to read one from stdin/);
    expect(newEvents(before)).toEqual([]);
  });
});

describe('Dockerfiles', () => {
  const dockerfileTar = (text: string) => archiveFile(writeTar([file('Dockerfile', text)]));

  it('a syntax error (FROMM) is one line, exit 1, recorded as one failed build', async () => {
    const before = eventRows(root).length;
    const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: dockerfileTar('FROMM scratch\n') });
    oneErrorLine(r, /Dockerfile build failed: .*unknown instruction: FROMM/i);
    expect(newEvents(before)).toEqual(['BuildStarted', 'BuildFailed']);
  });

  it('no CMD and no Procfile is one line, exit 1', async () => {
    const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: dockerfileTar('FROM dokku/stack:bookworm-base\nENTRYPOINT []\nCMD []\n') });
    oneErrorLine(r, /The Dockerfile has no CMD or ENTRYPOINT, and no Procfile names a web command/);
  }, 120_000);

  it('hole 10: a tenant\'s ADD of a URL is refused (AccessDenied only); an admin\'s is built', async () => {
    const text = 'FROM dokku/stack:bookworm-base\nADD --chown=0:0 \\\n  http://127.0.0.1:9/secret /secret\nCMD ["sleep", "1"]\n';
    const before = eventRows(root).length;
    const r = await runPiped(compiled, root, [], { input: dockerfileTar(text), env: tenantEnv(bob, `git:from-archive ${web} -`) });
    oneErrorLine(r, /^ !     Access denied for key bob: the Dockerfile ADDs a URL \(http:\/\/127\.0\.0\.1:9\/secret\)/);
    expect(newEvents(before)).toEqual(['AccessDenied']);
    const admin = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: dockerfileTar(text) });
    // The admin's build runs and the daemon's own fetch fails (nothing listens on port 9): one line.
    oneErrorLine(admin, /Dockerfile build failed/);
  }, 120_000);
});

describe('hole 10 over git push', () => {
  it("a tenant's push of a Dockerfile that ADDs a URL fails in the build, saying why, through the real sshd", async () => {
    const tree = await workTree(undefined, join(scratch, 'push-add'));
    await tree.commit('remote add', { Dockerfile: 'FROM dokku/stack:bookworm-base\nADD http://127.0.0.1:9/secret /secret\nCMD ["sleep", "1"]\n' });
    const r = await run('git', ['push', sshd.remote(web), 'main'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(bob) } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ADD with a URL is not allowed for this key (http://127.0.0.1:9/secret)');
    expect(r.stderr).not.toMatch(STACK_TRACE);
  }, 120_000);
});

describe('hole 6: memory stays bounded on huge entries', () => {
  /** Writes a tar.gz holding `entries` and one entry of `size` zero bytes, without holding it. */
  async function bigArchive(name: string, big: TarEntry, size: number, entries: TarEntry[] = []): Promise<string> {
    const path = join(scratch, name);
    const gz = createGzip({ level: 1 });
    const out = createWriteStream(path);
    gz.pipe(out);
    const write = (b: Buffer) => (gz.write(b) ? Promise.resolve() : new Promise<void>((r) => gz.once('drain', () => r())));
    for (const e of entries) await write(entryBytes(e));
    await write(headerBytes(big, size));
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let left = size; left > 0; left -= chunk.length) await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
    await write(paddingFor(size));
    await write(TAR_END);
    gz.end();
    await new Promise<void>((r) => out.on('close', () => r()));
    return path;
  }

  it('a ~1.5 MB tar.gz holding a 1.5 GB Procfile is refused with the CLI under 300 MB', async () => {
    const path = await bigArchive('procfile-bomb.tar.gz', { path: 'Procfile', type: 'file', mode: 0o644 }, 1.5 * 1024 ** 3);
    const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: path });
    oneErrorLine(r, /Procfile is larger than 1 MiB/);
    expect(r.peak).toBeGreaterThan(0);
    expect(r.peak).toBeLessThan(300 * 1024 ** 2);
  }, 300_000);

  it('a 512 MB file: refused past DOKKU_MAX_ARCHIVE_BYTES, deployed under it, the CLI under 300 MB either way', async () => {
    const path = await bigArchive('big-file.tar.gz', { path: 'data.bin', type: 'file', mode: 0o644 }, 512 * 1024 ** 2, [file('Procfile', PROCFILE)]);
    const capped = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: path, env: { DOKKU_MAX_ARCHIVE_BYTES: String(256 * 1024 ** 2) } });
    oneErrorLine(capped, /The source archive is larger than 256 MiB once uncompressed \(DOKKU_MAX_ARCHIVE_BYTES\)/);
    expect(capped.peak).toBeLessThan(300 * 1024 ** 2);
    const r = await runPiped(compiled, root, ['git:from-archive', web, '-'], { input: path });
    expect(r.code, r.stderr).toBe(0);
    expect(r.peak).toBeGreaterThan(0);
    expect(r.peak).toBeLessThan(300 * 1024 ** 2);
  }, 600_000);
});

describe('the stdin race: every piped archive deploys or fails loudly', () => {
  /** A source of about `size` bytes whose Procfile is invalid: the build fails at once, after reading it all. */
  function failingSource(size: number, real: boolean): string {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i); // not all zeros
    return archiveFile(writeTar([file('Procfile', real ? PROCFILE : Buffer.from('this is not a procfile line\n')), file('data.bin', data)]));
  }
  const sizes = [20_000, 100_000, 400_000, 400_000, 1_000_000, 3_000_000];
  const releasesOf = async (target: Target, r: string, app: string) => JSON.parse((await runCli(target, r, ['releases', app, '--format', 'json'])).stdout || '[]').length as number;

  it('200 runs: compiled and node, direct and over sshd, 20 KB to 50 MB; some real deploys', async () => {
    mkdirSync(scratch, { recursive: true });
    const files = new Map<string, string>();
    const source = (size: number, real: boolean) => {
      const k = `${size}-${real}`;
      if (!files.has(k)) files.set(k, failingSource(size, real));
      return files.get(k)!;
    };
    type Run = { target: Target; root: string; app: string; size: number; real: boolean; ssh: boolean };
    const plan: Run[] = [];
    for (let i = 0; i < 90; i++) plan.push({ target: compiled, root, app: web, size: sizes[i % sizes.length]!, real: false, ssh: false });
    for (let i = 0; i < 66; i++) plan.push({ target: node, root: nodeRoot, app: nodeWeb, size: sizes[i % sizes.length]!, real: false, ssh: false });
    for (let i = 0; i < 36; i++) plan.push({ target: compiled, root, app: web, size: sizes[i % sizes.length]!, real: false, ssh: true });
    for (const size of [10_000_000, 50_000_000]) plan.push({ target: compiled, root, app: web, size, real: false, ssh: false }, { target: node, root: nodeRoot, app: nodeWeb, size, real: false, ssh: false });
    plan.push(
      { target: compiled, root, app: web, size: 400_000, real: true, ssh: false },
      { target: compiled, root, app: web, size: 400_000, real: true, ssh: true },
      { target: node, root: nodeRoot, app: nodeWeb, size: 400_000, real: true, ssh: false },
      { target: node, root: nodeRoot, app: nodeWeb, size: 1_000_000, real: true, ssh: false },
    );
    expect(plan).toHaveLength(200);
    const silent: string[] = [];
    for (const [i, run] of plan.entries()) {
      const releases = run.real ? await releasesOf(run.target, run.root, run.app) : 0;
      const r = await runPiped(run.target, run.root, ['git:from-archive', run.app, '-'], {
        input: source(run.size, run.real),
        ...(run.ssh ? { ssh: { sshd, key: bob } } : {}),
      });
      const what = `run ${i} (${run.target.name}${run.ssh ? ' over sshd' : ''}, ${run.size} bytes): exit ${r.code}\n${r.stderr}`;
      if (r.code === 0) {
        if (!run.real || (await releasesOf(run.target, run.root, run.app)) !== releases + 1) silent.push(what);
      } else if (!/^ !     /m.test(r.stderr)) silent.push(what);
      else if (!run.real) expect(r.stderr, what).toMatch(/Invalid Procfile: line 1/); // the whole archive arrived
      else silent.push(what);
    }
    expect(silent).toEqual([]);
  }, 900_000);
});
