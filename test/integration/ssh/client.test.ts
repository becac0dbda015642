/**
 * contrib/dokku, the laptop client, against a real sshd: it reads the `dokku` remote of the git
 * checkout it runs in, puts the app after the command, and quotes every word so the server gets
 * exactly these words back, quotes, dollars and semicolons included, with nothing evaluated.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { uniqueName } from '../../helpers/docker.ts';
import { makeKeyPair, run, sshArgs, startSshd, workTree, type KeyPair, type TestSshd, type WorkTree } from '../../helpers/sshd.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const CLIENT = join(REPO, 'contrib/dokku');

describe('contrib/dokku', () => {
  const root = makeRoot('dokku-client-');
  const scratch = makeRoot('dokku-client-src-');
  const app = uniqueName('client');
  let sshd: TestSshd;
  let key: KeyPair;
  let tree: WorkTree;
  const client = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(CLIENT, args, { cwd: tree.dir, env: { DOKKU_SSH: `ssh ${sshArgs(key, sshd.port).filter((a, i, all) => a !== '-p' && all[i - 1] !== '-p').join(' ')}`, ...env } });

  beforeAll(async () => {
    requireDist();
    sshd = await startSshd([join(root, '.ssh', 'authorized_keys')]);
    key = makeKeyPair(scratch, 'laptop');
    expectOk(await runCli(compiled, root, ['ssh-keys:add', 'laptop', key.pub]), 'ssh-keys:add');
    tree = await workTree(undefined, join(scratch, 'checkout'));
    await tree.ok('remote', 'add', 'dokku', sshd.remote(app));
  }, 120_000);

  afterAll(async () => {
    await sshd?.stop();
    removeRoots();
  });

  it('runs commands on the remote\'s app, and commands that take no app as they are', async () => {
    const created = await client(['apps:create']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Creating ${app}`);
    const list = await client(['apps:list']);
    expect(list.stdout.split('\n')).toContain(app);
    const report = await client(['apps:report', '--format', 'json']);
    expect(JSON.parse(report.stdout)).toHaveProperty('app-locked');
    // Over SSH the listing has no title; the server's global flags pass through before the command.
    const quiet = await client(['--quiet', 'apps:list']);
    expect(quiet.stdout, quiet.stderr).toBe(list.stdout);
    expect((await client(['--quiet', 'apps:report', '--app-locked'])).stdout).toBe('false\n');
    expect((await client(['apps:help'])).stdout).toContain('Usage: dokku apps[:COMMAND]');
    // The app named explicitly is not inserted twice.
    expect((await client(['apps:exists', app])).code).toBe(0);
  });

  it('passes every word through unchanged: quotes, $, ;, backticks and spaces', async () => {
    const value = `it's "quoted" $HOME; \`id\` && echo  two  spaces`;
    const set = await client(['config:set', `MESSAGE=${value}`, '--no-restart']);
    expect(set.code, set.stderr).toBe(0);
    const got = await client(['config:get', 'MESSAGE']);
    expect(got.stdout).toBe(`${value}\n`);
    const global = await client(['config:set', '--global', 'REGION=eu']);
    expect(global.code, global.stderr).toBe(0);
    expect((await client(['config:get', '--global', 'REGION'])).stdout).toBe('eu\n');
  });

  it("puts the app after run, whose command's own words may include --global", async () => {
    const r = await client(['run', 'sh', '-c', 'echo --global']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     ${app} has not been deployed\n`);
  });

  it('takes --app, another remote, and the scp-like remote form', async () => {
    const other = uniqueName('client-other');
    expect((await client(['--app', other, 'apps:create'])).code).toBe(0);
    expect((await client(['-a', other, 'apps:exists'])).code).toBe(0);
    await tree.ok('remote', 'add', 'prod', `${sshd.user}@127.0.0.1:${other}.git`);
    const viaScp = await client(['--remote', 'prod', 'config:set', 'A=1', '--no-restart'], {
      DOKKU_SSH: `ssh -p ${sshd.port} ${sshArgs(key, sshd.port).filter((a, i, all) => a !== '-p' && all[i - 1] !== '-p').join(' ')}`,
    });
    expect(viaScp.code, viaScp.stderr).toBe(0);
    expect((await runCli(compiled, root, ['config:get', other, 'A'])).stdout).toBe('1\n');
  });

  it('says what is missing outside a checkout with a dokku remote', async () => {
    const r = await run(CLIENT, ['apps:list'], { cwd: scratch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No git remote named dokku here');
  });
});
