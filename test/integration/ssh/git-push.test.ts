/**
 * `git push` over a real sshd into the compiled binary, onto the real Docker engine: keys added
 * with `ssh-keys:add` land in authorized_keys, sshd forces our program, git-receive-pack runs our
 * pre-receive hook, and the app answers over HTTP. Also: a broken push rejected with the old release
 * serving, pushes to other branches, force-pushing an older commit, concurrent pushes, and fetching.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, fingerprint, makeRoot, removeRoots, requireDist, run as runCli, withDb } from '../../helpers/cli.ts';
import { expectOk, FIXTURES, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, startSshd, workTree, type KeyPair, type TestSshd, type WorkTree } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

describe('git push over SSH (real sshd, git and Docker)', () => {
  const root = makeRoot('dokku-push-');
  const scratch = makeRoot('dokku-push-src-');
  const app = uniqueName('push-node');
  const dokku = (...words: string[]) => runCli(compiled, root, words);
  let docker: Awaited<ReturnType<typeof connectDocker>>;
  let sshd: TestSshd;
  let alice: KeyPair;
  let tree: WorkTree;
  const push = (t: WorkTree, key: KeyPair, ...args: string[]) =>
    run('git', ['push', ...args], { cwd: t.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(key) } });
  const releases = async () => JSON.parse((await dokku('releases', app, '--format', 'json')).stdout) as Array<{ version: number; description: string; current: boolean; status: string }>;
  const remoteSha = async (t: WorkTree, key: KeyPair, branch: string) =>
    (await run('git', ['ls-remote', sshd.remote(app), `refs/heads/${branch}`], { cwd: t.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(key) } })).stdout.split('\t')[0];

  beforeAll(async () => {
    requireDist();
    docker = await connectDocker();
    expectOk(await dokku('stack:build'), 'stack:build');
    sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
    alice = makeKeyPair(scratch, 'alice');
    expectOk(await dokku('ssh-keys:add', 'alice', alice.pub), 'ssh-keys:add');
    tree = await workTree(join(FIXTURES, 'node'), join(scratch, 'node'));
    await tree.commit('the node sample');
  }, 900_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    await sshd?.stop();
    removeRoots();
  }, 120_000);

  it('a first push creates the app, builds and deploys it, ends with the URL, and the app answers', async () => {
    const sha = await tree.ok('rev-parse', 'HEAD');
    const r = await push(tree, alice, sshd.remote(app), 'main');
    expect(r.code, r.stderr).toBe(0);
    // Build output reaches the pusher as remote: lines, in order, ending with the URL.
    const remote = r.stderr.split('\n').filter((l) => l.startsWith('remote: ')).map((l) => l.slice(8).trimEnd());
    const at = (re: RegExp) => remote.findIndex((l) => re.test(l));
    expect(at(/^-----> Deploy branch of .* set to main/)).toBeGreaterThanOrEqual(0);
    expect(at(/^-----> Node\.js app detected/)).toBeGreaterThan(at(/^-----> Deploying .* from main/));
    expect(at(/^=====> Application deployed:/)).toBeGreaterThan(at(/^-----> Node\.js app detected/));
    expect(remote[at(/^=====> Application deployed:/) + 1]).toMatch(/^ {7}https?:\/\/\S+$/);
    expect(r.stderr).toContain(' * [new branch]      main -> main');

    expect(await get(upstreamOf(root, app)!)).toContain('node sample: MESSAGE=(none)');
    // The release records the commit, and the app sees it as GIT_REV.
    const info = JSON.parse((await dokku('releases:info', app, 'v1', '--format', 'json')).stdout);
    expect(info).toMatchObject({ source_sha: sha, actor: 'alice' });
    expect(info.config_keys).toContain('GIT_REV');
    const web = (await docker!.listContainers({ filters: { label: [`com.dokku.app=${app}`] } }))[0]!;
    expect((await docker!.getContainer(web.Id).inspect()).Config.Env).toContain(`GIT_REV=${sha}`);
    // As in Dokku, GIT_REV is one of the app's config vars.
    expect((await dokku('config:get', app, 'GIT_REV')).stdout).toBe(`${sha}\n`);
    // Every event records the acting key.
    const actors = withDb(root, (db) => db.prepare("SELECT DISTINCT actor FROM events WHERE stream LIKE 'app/%'").all() as Array<{ actor: string }>);
    expect(actors.map((a) => a.actor)).toEqual(['alice']);
    const report = JSON.parse((await dokku('git:report', app, '--format', 'json')).stdout);
    expect(report).toMatchObject({ 'git-deploy-branch': 'main', 'git-repo-exists': 'true', 'git-branches': 'main', 'git-rev': sha });
  }, 300_000);

  it('a push to another branch is stored, not deployed; git:set deploy-branch moves deploys to it', async () => {
    await tree.ok('checkout', '-q', '-b', 'feature');
    const sha = await tree.commit('feature work', { 'feature.txt': 'x\n' });
    const r = await push(tree, alice, sshd.remote(app), 'feature');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/remote: -----> branch feature stored; only the deploy branch \(main\) deploys/);
    expect(r.stderr).not.toContain('Building');
    expect((await releases()).length).toBe(1);
    expect(await remoteSha(tree, alice, 'feature')).toBe(sha);

    expectOk(await dokku('git:set', app, 'deploy-branch', 'feature'), 'git:set');
    await tree.commit('feature, deployed', { 'feature.txt': 'y\n' });
    const again = await push(tree, alice, sshd.remote(app), 'feature');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/remote: -----> Deploying .* from feature/);
    expect((await releases()).length).toBe(2);
    expectOk(await dokku('git:set', app, 'deploy-branch', 'main'), 'git:set');
    await tree.ok('checkout', '-q', 'main');
  }, 300_000);

  it('ps:rebuild with a deploy branch that has no commits fails with the reason and rebuilds nothing', async () => {
    const before = (await releases()).length;
    expectOk(await dokku('git:set', app, 'deploy-branch', 'never-pushed'), 'git:set');
    try {
      const r = await dokku('ps:rebuild', app);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(` !     Deploy branch never-pushed of ${app} has no commits: push to it (git push dokku never-pushed), or git:set ${app} deploy-branch to a branch that has them\n`);
      expect(r.stdout).not.toContain('Building');
      expect((await releases()).length).toBe(before);
    } finally {
      expectOk(await dokku('git:set', app, 'deploy-branch', 'main'), 'git:set');
    }
  }, 120_000);

  it('a broken app is rejected: the branch does not move and the old release keeps answering', async () => {
    const before = await remoteSha(tree, alice, 'main');
    const url = upstreamOf(root, app)!;
    await tree.commit('crash on boot', { 'server.js': "console.error('broken on purpose'); process.exit(3);\n" });
    const r = await push(tree, alice, sshd.remote(app), 'main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pre-receive hook declined/);
    expect(r.stderr).toMatch(/remote: +!/);
    expect(await remoteSha(tree, alice, 'main')).toBe(before);
    expect(await get(url)).toContain('node sample');
    expect((await releases())[0]).toMatchObject({ status: 'failed', current: false });
    await tree.ok('reset', '-q', '--hard', 'HEAD~1');
  }, 300_000);

  it('git push -f of an older commit deploys it, and its release records that commit', async () => {
    const older = await tree.ok('rev-parse', 'HEAD');
    await tree.commit('a newer commit', { 'server.js': (await tree.ok('show', 'HEAD:server.js')).replace('node sample', 'newer sample') + '\n' });
    const r1 = await push(tree, alice, sshd.remote(app), 'main');
    expect(r1.code, r1.stderr).toBe(0);
    expect(await get(upstreamOf(root, app)!)).toContain('newer sample');

    await tree.ok('reset', '-q', '--hard', older);
    const plain = await push(tree, alice, sshd.remote(app), 'main');
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/rejected/);
    const forced = await push(tree, alice, '-f', sshd.remote(app), 'main');
    expect(forced.code, forced.stderr).toBe(0);
    expect(await get(upstreamOf(root, app)!)).toContain('node sample');
    const current = (await releases()).find((x) => x.current)!;
    expect(current.description).toBe(`Deploy ${older.slice(0, 7)}`);
    expect(await remoteSha(tree, alice, 'main')).toBe(older);
  }, 300_000);

  it('two concurrent pushes to one app: one deploys, the other is refused clearly, and the log stays whole', async () => {
    const base = await tree.ok('rev-parse', 'HEAD');
    const other = await workTree(undefined, join(scratch, 'other'));
    await other.ok('fetch', '-q', tree.dir, 'main');
    await other.ok('checkout', '-q', '-B', 'main', 'FETCH_HEAD');
    const shaA = await tree.commit('push A', { 'a.txt': 'a\n' });
    const shaB = await other.commit('push B', { 'b.txt': 'b\n' });
    const eventsBefore = fingerprint(root).events;
    const [a, b] = await Promise.all([push(tree, alice, sshd.remote(app), 'main'), push(other, alice, sshd.remote(app), 'main')]);
    const results = [
      { r: a, sha: shaA },
      { r: b, sha: shaB },
    ];
    const won = results.filter((x) => x.r.code === 0);
    const lost = results.filter((x) => x.r.code !== 0);
    expect(won.length, `${a.stderr}\n----\n${b.stderr}`).toBe(1);
    expect(lost[0]!.r.stderr).toMatch(/remote: +! +.* is already being deployed by alice/);
    expect(await remoteSha(tree, alice, 'main')).toBe(won[0]!.sha);
    const current = (await releases()).find((x) => x.current)!;
    expect(current.description).toBe(`Deploy ${won[0]!.sha.slice(0, 7)}`);
    expectOk(await dokku('events:verify'), 'events:verify');
    // The refused push started no build: exactly one build and one release were added.
    const added = withDb(root, (db) =>
      db.prepare("SELECT type, count(*) AS n FROM events WHERE position > ? AND type IN ('BuildStarted', 'ReleaseCreated') GROUP BY type ORDER BY type").all(eventsBefore),
    );
    expect(added).toEqual([
      { type: 'BuildStarted', n: 1 },
      { type: 'ReleaseCreated', n: 1 },
    ]);
    expect(base).not.toBe(won[0]!.sha);
  }, 300_000);

  it('git fetch and clone read the app back through git-upload-pack', async () => {
    const clone = join(scratch, 'clone');
    const r = await run('git', ['clone', '-q', sshd.remote(app), clone], { env: { GIT_SSH_COMMAND: sshd.gitSsh(alice) } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(clone, 'server.js'))).toBe(true);
    const missing = await run('git', ['ls-remote', sshd.remote('no-such-app')], { env: { GIT_SSH_COMMAND: sshd.gitSsh(alice) } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('App no-such-app does not exist');
  }, 120_000);

  it('a pushed tag alone deploys nothing; the repository follows apps:rename and goes with apps:destroy', async () => {
    const name = uniqueName('push-tag');
    const renamed = uniqueName('push-renamed');
    await tree.ok('tag', '-f', 'v1');
    const r = await push(tree, alice, sshd.remote(name), 'refs/tags/v1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/remote: -----> tag v1 stored; only the deploy branch \(none yet\) deploys/);
    expect(JSON.parse((await dokku('releases', name, '--format', 'json')).stdout)).toEqual([]);
    expectOk(await dokku('apps:rename', name, renamed), 'apps:rename');
    expect(existsSync(join(root, `${name}.git`))).toBe(false);
    const tags = await run('git', ['ls-remote', sshd.remote(renamed), 'refs/tags/v1'], { cwd: tree.dir, env: { GIT_SSH_COMMAND: sshd.gitSsh(alice) } });
    expect(tags.stdout).toContain(await tree.ok('rev-parse', 'v1'));
    expectOk(await dokku('apps:destroy', renamed, '--force'), 'apps:destroy');
    expect(existsSync(join(root, `${renamed}.git`))).toBe(false);
    // Nothing of the app is left under DOKKU_ROOT, not even an empty directory.
    expect(existsSync(join(root, renamed))).toBe(false);
    expect(existsSync(join(root, name))).toBe(false);
  }, 120_000);

  it('the hook command is not for remote callers', async () => {
    const r = await sshd.ssh(alice, `git-hook ${app}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     git-hook is run by dokku\'s git hook, not over SSH\n');
  });

  it('with autocreation disabled, a push to a new app is refused and creates nothing', async () => {
    expectOk(await dokku('apps:set', '--global', 'disable-autocreation', 'true'), 'apps:set');
    const name = uniqueName('push-none');
    const r = await push(tree, alice, sshd.remote(name), 'main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`App ${name} does not exist and autocreation is disabled`);
    expect((await dokku('apps:exists', name)).code).toBe(1);
    expect(existsSync(join(root, `${name}.git`))).toBe(false);
    expectOk(await dokku('apps:set', '--global', 'disable-autocreation', 'false'), 'apps:set');
  }, 120_000);
});
