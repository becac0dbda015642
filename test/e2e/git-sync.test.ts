/**
 * git:generate-deploy-key, git:public-key, git:allow-host, git:sync and git:status on the compiled
 * binary, without Docker: a repository served over dumb http on loopback and over ssh by a real
 * sshd (with dokku's deploy key and known_hosts), and the refusals a tenant meets.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, writeTar } from '../../src/lib/tar.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, eventRows, makeRoot, removeRoots, requireDist, run, STACK_TRACE, TARGETS, type RunResult } from '../helpers/cli.ts';
import { makeKeyPair, startSshd, type KeyPair, type TestSshd } from '../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-gitsync-');
const scratch = makeRoot('dokku-gitsync-src-');

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const local = (words: string[]): RunResult => {
  const r = spawnSync(compiled.command, [...compiled.args, ...words], { env: childEnv(root), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
};
let bob: KeyPair;
const asBob = (command: string, input: string | Buffer = ''): RunResult => {
  const env = childEnv(root, { NAME: 'bob', FINGERPRINT: bob.fingerprint, SSH_ORIGINAL_COMMAND: command });
  const r = spawnSync(compiled.command, compiled.args, { env, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
};
const ok = (words: string[]) => {
  const r = local(words);
  expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

/** The http server lives in this process: a fetch from it must not block the event loop. */
const localAsync = (words: string[]): Promise<RunResult> => run(compiled, root, words);
const okAsync = async (words: string[]) => {
  const r = await localAsync(words);
  expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

let server: Server;
let httpUrl = '';
let sshd: TestSshd;
let head = '';
const bare = join(scratch, 'repo.git');

beforeAll(async () => {
  requireDist();
  const work = join(scratch, 'work');
  mkdirSync(work);
  git(['init', '-q', '-b', 'main'], work);
  writeFileSync(join(work, 'Procfile'), 'web: sleep 1000\n');
  git(['add', '.'], work);
  git(['commit', '-qm', 'first'], work);
  git(['tag', 'v1'], work);
  git(['clone', '-q', '--bare', work, bare], scratch);
  git(['update-server-info'], bare);
  head = git(['rev-parse', 'HEAD'], work);
  // Dumb http: git fetches the repository's files as they are.
  server = createServer((req, res) => {
    const path = join(scratch, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (!path.startsWith(scratch) || !existsSync(path) || statSync(path).isDirectory()) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/repo.git`;
  // The first key is the admin; bob holds web.
  ok(['ssh-keys:add', 'alice', makeKeyPair(scratch, 'alice').pub]);
  bob = makeKeyPair(scratch, 'bob');
  ok(['ssh-keys:add', 'bob', bob.pub]);
  ok(['apps:create', 'web']);
  ok(['acl:add', 'web', 'bob']);
});

afterAll(async () => {
  server?.close();
  await sshd?.stop();
  removeRoots();
});

describe('deploy key', () => {
  it('git:public-key says there is none yet', () => {
    const r = local(['git:public-key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ !     There is no deploy key: run git:generate-deploy-key\n$/);
  });

  it('git:generate-deploy-key makes an ed25519 key, 0600, once', () => {
    const first = ok(['git:generate-deploy-key']);
    expect(first.stdout).toMatch(/^ssh-ed25519 AAAA\S+ dokku$/m);
    expect(statSync(join(root, '.ssh', 'id_ed25519')).mode & 0o777).toBe(0o600);
    const again = ok(['git:generate-deploy-key']);
    expect(again.stdout).toMatch(/A deploy key already exists/);
    const pub = ok(['git:public-key']).stdout.trim();
    expect(first.stdout).toContain(pub);
    expect(again.stdout).toContain(pub);
    expect(readFileSync(join(root, '.ssh', 'id_ed25519'), 'utf8')).not.toContain(pub.split(' ')[1]!.slice(0, 8) + 'x');
    // One event for the key that was made, holding only its public half; none for the one kept.
    const made = eventRows(root).filter((e) => e.type === 'DeployKeyGenerated');
    expect(made.map((e) => JSON.parse(e.data))).toEqual([{ publicKey: pub }]);
  });

  it('is for admins only', () => {
    for (const command of ['git:generate-deploy-key', 'git:public-key', 'git:allow-host github.com']) {
      const before = eventRows(root).length;
      const r = asBob(command);
      expect(r.code, command).toBe(1);
      expect(r.stderr, command).toMatch(/^ !     Access denied for key bob: git:\S+ is not tied to one app, for admin keys only\n$/);
      expect(eventRows(root).slice(before).map((e) => e.type)).toEqual(['AccessDenied']);
    }
  });
});

describe('git:sync over http', () => {
  it('fetches the remote HEAD into the deploy branch, then says it is unchanged', async () => {
    const r = await okAsync(['git:sync', 'web', httpUrl]);
    expect(r.stdout).toContain(`Synced web master at ${head.slice(0, 7)} from 127.0.0.1`);
    expect(ok(['git:status', 'web']).stdout).toBe(`master ${head.slice(0, 7)} first\n`);
    expect((await okAsync(['git:sync', 'web', httpUrl, 'v1', '--build-if-changes'])).stdout).toMatch(/Unchanged: web master at .*\n.*Skipping build of web: no changes/);
    expect(ok(['git:report', 'web', '--git-deploy-branch']).stdout.trim()).toBe('master');
  });

  it('refuses a missing ref in one line, leaving the branch where it was', async () => {
    const r = await localAsync(['git:sync', 'web', httpUrl, 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^ !     Could not fetch nope from 127\.0\.0\.1: /)]);
    expect(ok(['git:status', 'web']).stdout).toContain(head.slice(0, 7));
  });

  it('refuses a tenant a host no admin allowed, and this server even if allowed', () => {
    const before = eventRows(root).length;
    const r = asBob(`git:sync web ${httpUrl}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ !     Access denied for key bob: host 127\.0\.0\.1 is not allowed: an admin adds it with git:allow-host\n$/);
    expect(eventRows(root).slice(before).map((e) => e.type)).toEqual(['AccessDenied']);
  });

  it.each([
    ['file:///etc', /Invalid repository 'file:\/\/\/etc': the file:\/\/ protocol is not allowed/],
    ['/var/lib/dokku/other.git', /give an https/],
    ["'ext::sh -c id'", /spaces or control characters/],
    ['git@host:-oProxyCommand=id', /the path looks like an option/],
  ])('refuses %s to everyone, appending nothing', (url, reason) => {
    const before = eventRows(root).length;
    const r = asBob(`git:sync web ${url}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(eventRows(root).length).toBe(before);
  });

  it('git:status of an app without a repository says so', () => {
    ok(['apps:create', 'empty']);
    const r = local(['git:status', 'empty']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ !     empty has no git repository yet: git push or git:sync first\n$/);
  });
});

describe('git:allow-host and git:sync over ssh', () => {
  it('trusts an allowed host, fetches with the deploy key, and lets a tenant use the allowed host', async () => {
    const authorized = join(scratch, 'authorized_keys');
    writeFileSync(authorized, `${ok(['git:public-key']).stdout.trim()}\n`);
    sshd = await startSshd([authorized]);
    const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`;
    // Not yet known: ssh refuses the host key.
    const unknown = local(['git:sync', 'web', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Could not fetch HEAD from 127\.0\.0\.1/);
    expect(ok(['git:allow-host', '127.0.0.1', '--port', String(sshd.port)]).stdout).toMatch(/127\.0\.0\.1 added to known_hosts/);
    expect(readFileSync(join(root, '.ssh', 'known_hosts'), 'utf8')).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'));
    expect(ok(['git:allow-host']).stdout).toBe('127.0.0.1\n');
    expect(ok(['git:allow-host', '127.0.0.1', '--port', String(sshd.port)]).stdout).toMatch(/already there/);
    // Trusting a host is recorded (once: the second call added no key), with the lines trusted.
    const trusted = eventRows(root).filter((e) => e.type === 'GitHostAllowed').map((e) => JSON.parse(e.data) as { host: string; port: number; keys: string[] });
    expect(trusted).toHaveLength(1);
    expect(trusted[0]).toMatchObject({ host: '127.0.0.1', port: sshd.port });
    expect(trusted[0]!.keys.join('\n')).toBe(readFileSync(join(root, '.ssh', 'known_hosts'), 'utf8').trim());
    expect(ok(['git:sync', 'web', url, 'main']).stdout).toContain(`at ${head.slice(0, 7)} from 127.0.0.1`);
    // Allowed, but an address of this server: still refused to a tenant.
    const r = asBob(`git:sync web ${url}`);
    expect(r.stderr).toMatch(/^ !     Access denied for key bob: the URL's host 127\.0\.0\.1 resolves to 127\.0\.0\.1, an address of this server\n$/);
  });

  it('git:allow-host refuses option-like hosts', () => {
    for (const host of ['host;id', '[x]:-o', 'a b']) {
      const r = local(['git:allow-host', host]);
      expect(r.code, host).toBe(1);
      expect(r.stderr, host).toMatch(/^ !     Invalid host '/);
    }
  });
});

describe('git:load-image', () => {
  it("refuses a tenant's archive that carries another app's tag, before anything is loaded", () => {
    const tar = writeTar([file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: ['dokku/empty:build-1', 'bob/own:1'], Layers: [] }]))]);
    const before = eventRows(root).length;
    const r = asBob('git:load-image web bob/own:1', tar);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     Access denied for key bob: image dokku/empty:build-1 belongs to another app\n');
    expect(eventRows(root).slice(before).map((e) => e.type)).toEqual(['AccessDenied']);
  });

  it('refuses an archive without a manifest, or not holding the image named', () => {
    const none = asBob('git:load-image web bob/own:1', writeTar([file('x', 'y')]));
    expect(none.stderr).toBe(' !     The image archive has no readable manifest.json: send the output of docker save\n');
    const other = asBob('git:load-image web bob/own:2', writeTar([file('manifest.json', JSON.stringify([{ RepoTags: ['bob/own:1'] }]))]));
    expect(other.stderr).toBe(' !     The image archive does not hold bob/own:2 (it holds bob/own:1)\n');
  });
});

describe('git:from-archive of a zip', () => {
  /** A zip whose entry names python's zipfile writes as given (zip(1) would clean them). */
  const hostileZip = (name: string): Buffer => {
    const r = spawnSync('python3', ['-c', 'import io,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,"w")\nz.writestr(sys.argv[1],"x")\nz.close()\nsys.stdout.buffer.write(b.getvalue())', name]);
    if (r.status !== 0) throw new Error(String(r.stderr));
    return r.stdout;
  };

  it.each([
    ['../evil', /^ !     Refusing the zip archive: '\.\.\/evil' has a '\.\.' in its path\n$/],
    ['/etc/cron.d/x', /^ !     Refusing the zip archive: '\/etc\/cron\.d\/x' is an absolute path\n$/],
  ])('refuses %s before any build is recorded', (name, message) => {
    const before = eventRows(root).length;
    const r = spawnSync(compiled.command, [...compiled.args, 'git:from-archive', 'web', '-', '--archive-type', 'zip'], { env: childEnv(root), input: hostileZip(name), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(eventRows(root).length).toBe(before);
  });
});
