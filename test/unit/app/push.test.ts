import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../../src/app/context.ts';
import { deployBranchOf, runPreReceive, type DeployCommit } from '../../../src/app/push.ts';
import { setSetting } from '../../../src/app/settings.ts';
import { gitRepoPath, loadSettings } from '../../../src/lib/settings.ts';
import { openDatabase, type Database } from '../../../src/state/db.ts';
import { appStream } from '../../../src/state/events.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { requireApp, type AppRow } from '../../../src/state/queries.ts';
import { EventStore } from '../../../src/state/store.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const Z = '0'.repeat(40);

let dir: string;
let db: Database;
let ctx: Context;
let app: AppRow;
let out: string[];
let deployed: Array<{ app: string; repo: string; sha: string }>;

const deployCommit: DeployCommit = async (_ctx, a, repo, sha) => {
  deployed.push({ app: a.name, repo, sha });
};
const push = (lines: string[]) => runPreReceive(ctx, app, lines.map((l) => `${l}\n`).join(''), deployCommit);
const head = () => readFileSync(join(gitRepoPath(ctx.settings, 'shop'), 'HEAD'), 'utf8').trim();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dokku-push-'));
  db = await openDatabase(join(dir, 'dokku.db'));
  migrate(db);
  const store = new EventStore(db);
  store.append(appStream(randomUUID()), 0, [{ type: 'AppCreated', data: { name: 'shop' } }], 'admin');
  out = [];
  deployed = [];
  const settings = loadSettings({ DOKKU_ROOT: dir });
  ctx = {
    settings,
    actor: 'alice',
    io: { out: (l) => out.push(l), err: (l) => out.push(l), stdin: process.stdin, stdinIsTTY: false },
    store: async () => store,
    close: () => {},
  };
  app = requireApp(db, 'shop');
  const init = spawnSync('git', ['init', '--bare', '-q', '-b', 'master', gitRepoPath(settings, 'shop')]);
  expect(init.status).toBe(0);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runPreReceive', () => {
  it('makes the first branch pushed the deploy branch, points HEAD at it, and deploys its commit', async () => {
    await push([`${Z} ${A} refs/tags/v1`, `${Z} ${B} refs/heads/trunk`, `${Z} ${C} refs/heads/main`]);
    expect(deployBranchOf(db, app.id)).toBe('trunk');
    expect(head()).toBe('ref: refs/heads/trunk');
    expect(deployed).toEqual([{ app: 'shop', repo: gitRepoPath(ctx.settings, 'shop'), sha: B }]);
    expect(out).toEqual([
      '-----> Deploy branch of shop set to trunk, the first branch pushed (git:set shop deploy-branch B changes it)',
      '-----> tag v1 stored; only the deploy branch (trunk) deploys',
      '-----> branch main stored; only the deploy branch (trunk) deploys',
      `-----> Deploying shop from trunk (${B.slice(0, 7)})`,
    ]);
    // The setting is recorded on the app's stream by the pusher.
    const setting = new EventStore(db).read(appStream(app.id)).at(-1)!;
    expect(setting).toMatchObject({ type: 'SettingSet', actor: 'alice', data: { namespace: 'git', key: 'deploy-branch', value: 'trunk' } });
  });

  it('deploys the configured deploy branch and only stores the others', async () => {
    await setSetting(ctx, 'shop', 'git', 'deploy-branch', 'main');
    out = [];
    await push([`${A} ${B} refs/heads/feature`, `${A} ${C} refs/heads/main`]);
    expect(deployBranchOf(db, app.id)).toBe('main');
    expect(head()).toBe('ref: refs/heads/main');
    expect(deployed.map((d) => d.sha)).toEqual([C]);
    expect(out[0]).toBe('-----> branch feature stored; only the deploy branch (main) deploys');
    expect(out.some((l) => l.includes('set to'))).toBe(false);
  });

  it('a push without the deploy branch deploys nothing', async () => {
    await setSetting(ctx, 'shop', 'git', 'deploy-branch', 'main');
    out = [];
    await push([`${A} ${B} refs/heads/feature`, `${Z} ${A} refs/tags/v2`]);
    expect(deployed).toEqual([]);
    expect(out).toEqual([
      '-----> branch feature stored; only the deploy branch (main) deploys',
      '-----> tag v2 stored; only the deploy branch (main) deploys',
    ]);
  });

  it('deleting the deploy branch deploys nothing and says the app keeps its release', async () => {
    await setSetting(ctx, 'shop', 'git', 'deploy-branch', 'main');
    out = [];
    await push([`${A} ${Z} refs/heads/main`, `${A} ${Z} refs/heads/old`]);
    expect(deployed).toEqual([]);
    expect(out).toEqual([
      '-----> branch old deleted; only the deploy branch (main) deploys',
      '-----> Deploy branch main deleted; shop keeps running its current release',
    ]);
    expect(deployBranchOf(db, app.id)).toBe('main');
  });

  it('a deleted branch never becomes the deploy branch', async () => {
    await push([`${A} ${Z} refs/heads/gone`]);
    expect(deployBranchOf(db, app.id)).toBeUndefined();
    expect(deployed).toEqual([]);
    expect(out).toEqual(['-----> branch gone deleted; only the deploy branch (none yet) deploys']);
  });

  it('a failed deploy fails the hook (git then refuses the push)', async () => {
    const failing: DeployCommit = async () => {
      throw new Error('build failed');
    };
    await expect(runPreReceive(ctx, app, `${Z} ${A} refs/heads/main\n`, failing)).rejects.toThrow('build failed');
  });

  it('refuses ref lines that are not what git sends, before changing anything', async () => {
    await expect(push([`${Z} ${A} main`])).rejects.toThrow();
    expect(deployBranchOf(db, app.id)).toBeUndefined();
    expect(deployed).toEqual([]);
  });
});
