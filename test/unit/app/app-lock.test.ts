/**
 * The app lock as the use cases take it: before anything is recorded, and re-entered (not
 * refused) when one use case calls another that locks the same app.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideAndDeploy } from '../../../src/app/deploy.ts';
import type { Pipeline } from '../../../src/app/pipeline.ts';
import { restartApp, scaleApp, startApp, stopApp } from '../../../src/app/processes.ts';
import { acquireDeployLock, DeployLockedError, lockPath, processStartTicks, type LockHolder } from '../../../src/lib/lock.ts';
import { loadSettings } from '../../../src/lib/settings.ts';
import { openDatabase, type Database } from '../../../src/state/db.ts';
import { appStream, type DomainEvent } from '../../../src/state/events.ts';
import { migrate } from '../../../src/state/migrate.ts';
import { requireApp } from '../../../src/state/queries.ts';
import { EventStore } from '../../../src/state/store.ts';
import type { Scheduler } from '../../../src/runtime/scheduler.ts';
import type { Builder } from '../../../src/builder/port.ts';

let root: string;
let db: Database;
let store: EventStore;
let stream: string;
let calls: string[];
let heldDuringDeploy: (LockHolder | undefined)[];

const release = (version: number): DomainEvent => ({
  type: 'ReleaseCreated',
  data: { version, image: 'sha256:abc', imageTag: 'dokku/web:build-1', config: {}, env: {}, processTypes: { web: 'serve' }, webPort: 5000, appJson: { healthchecks: {} }, description: 'Deploy' },
});

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'dokku-app-lock-'));
  db = await openDatabase(join(root, 'dokku.db'));
  migrate(db);
  store = new EventStore(db);
  stream = appStream(randomUUID());
  store.append(stream, 0, [
    { type: 'AppCreated', data: { name: 'web' } },
    release(1),
    { type: 'DeployStarted', data: { version: 1 } },
    { type: 'DeploySucceeded', data: { version: 1, containers: [] } },
    { type: 'ProcessesStopped', data: {} },
  ], 'setup');
  calls = [];
  heldDuringDeploy = [];
});

afterEach(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

function pipeline(): Pipeline {
  const path = lockPath(root, 'web');
  const scheduler = {
    deploy: async () => {
      calls.push('deploy');
      heldDuringDeploy.push(existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LockHolder) : undefined);
      return { containers: [], upstreams: [] };
    },
    stop: async () => void calls.push('stop'),
    scale: async () => void calls.push('scale'),
  } as unknown as Scheduler;
  const builder = { removeLeftovers: async () => [], removeImage: async () => {} } as unknown as Builder;
  return {
    store,
    settings: { ...loadSettings({ DOKKU_ROOT: root }), nginxBin: '/nonexistent/nginx' },
    actor: 'tester',
    onLine: () => {},
    lock: (app) => acquireDeployLock(root, app, 'tester', { reentrant: true }),
    scheduler: async () => scheduler,
    builder: async () => builder,
    proxy: { switch: async () => {}, urlsOf: () => [] },
  };
}

/** The lock as another live process on this host holds it (our parent). */
function heldElsewhere(): void {
  mkdirSync(join(root, 'web'), { recursive: true });
  const holder: LockHolder = { pid: process.ppid, host: hostname(), actor: 'someone', startedAt: new Date().toISOString(), pidStart: processStartTicks(process.ppid) };
  writeFileSync(lockPath(root, 'web'), JSON.stringify(holder));
}

const types = () => store.db.prepare('SELECT type FROM events WHERE stream = ? ORDER BY position').all<{ type: string }>(stream).map((r) => r.type);

describe('use cases take the app lock first', () => {
  it('ps:start records nothing and starts nothing while another process holds the lock', async () => {
    heldElsewhere();
    const before = types();
    await expect(startApp(pipeline(), requireApp(db, 'web'))).rejects.toThrow(DeployLockedError);
    expect(types()).toEqual(before);
    expect(calls).toEqual([]);
  });

  it('ps:stop, ps:restart and ps:scale are refused the same way, with nothing recorded', async () => {
    heldElsewhere();
    const before = types();
    const p = pipeline();
    const app = requireApp(db, 'web');
    await expect(stopApp(p, app)).rejects.toThrow(DeployLockedError);
    await expect(restartApp(p, app)).rejects.toThrow(DeployLockedError);
    await expect(scaleApp(p, app, { web: 2 })).rejects.toThrow(DeployLockedError);
    expect(types()).toEqual(before);
    expect(calls).toEqual([]);
  });
});

describe('use cases calling use cases', () => {
  it('ps:start holds the lock through the deploy it calls, then frees it', async () => {
    await startApp(pipeline(), requireApp(db, 'web'));
    expect(types().slice(-3)).toEqual(['ProcessesStarted', 'DeployStarted', 'DeploySucceeded']);
    expect(calls).toEqual(['deploy']);
    expect(heldDuringDeploy).toEqual([expect.objectContaining({ pid: process.pid, actor: 'tester' })]);
    expect(existsSync(lockPath(root, 'web'))).toBe(false);
  });

  it('a config change deploys the release it made under the one lock', async () => {
    const { deployed } = await decideAndDeploy(pipeline(), 'web', { type: 'config:change', command: { type: 'config:set', vars: { A: '1' } }, restart: true });
    expect(deployed).toBe(2);
    expect(heldDuringDeploy).toHaveLength(1);
    expect(heldDuringDeploy[0]?.pid).toBe(process.pid);
    expect(existsSync(lockPath(root, 'web'))).toBe(false);
  });
});
