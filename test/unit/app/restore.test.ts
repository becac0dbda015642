import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Pipeline } from '../../../src/app/pipeline.ts';
import { restorePlan } from '../../../src/app/processes.ts';
import { loadSettings } from '../../../src/lib/settings.ts';
import type { Database } from '../../../src/state/db.ts';
import { appStream, type DomainEvent, type ReleaseData } from '../../../src/state/events.ts';
import { requireApp } from '../../../src/state/queries.ts';
import type { ContainerStatus, Scheduler } from '../../../src/runtime/scheduler.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

let dir: string;
let db: Database;
let store: EventStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dokku-restore-'));
  store = await memoryStore();
  db = store.db;
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const release = (version: number): ReleaseData => ({
  version,
  image: `sha256:${version}`,
  imageTag: `dokku/app:build-${version}`,
  config: {},
  env: {},
  processTypes: { web: 'start' },
  webPort: 5000,
  appJson: { healthchecks: {} },
  description: 'test',
});

function app(name: string, events: DomainEvent[]) {
  store.append(appStream(randomUUID()), 0, [{ type: 'AppCreated', data: { name } }, ...events], 'test');
  return requireApp(db, name);
}

const deployed = (v: number): DomainEvent[] => [
  { type: 'ReleaseCreated', data: release(v) },
  { type: 'DeployStarted', data: { version: v } },
  { type: 'DeploySucceeded', data: { version: v, containers: [] } },
];

const container = (app: string, release: number, state: ContainerStatus['state']): ContainerStatus => ({
  id: randomUUID(), name: `${app}.web.1`, app, processType: 'web', index: 1, release, state, hostPort: 1, oneOff: false,
});

it('restores what was deployed and not stopped, and only when its current release does not run', async () => {
  const containers: Record<string, ContainerStatus[]> = {
    up: [container('up', 2, 'running')],
    old: [container('old', 1, 'running')],
    down: [container('down', 1, 'exited')],
  };
  const scheduler = { status: async (name: string) => containers[name] ?? [] } as unknown as Scheduler;
  const p = { store, settings: loadSettings({ DOKKU_ROOT: dir }), actor: 'test', onLine: () => {}, scheduler: async () => scheduler } as unknown as Pipeline;

  expect(await restorePlan(p, app('never', []))).toEqual({ kind: 'skip' });
  expect(await restorePlan(p, app('stopped', [...deployed(1), { type: 'ProcessesStopped', data: {} }]))).toEqual({ kind: 'skip' });
  expect(await restorePlan(p, app('up', [...deployed(1), ...deployed(2)]))).toEqual({ kind: 'running', version: 2 });
  expect(await restorePlan(p, app('old', [...deployed(1), ...deployed(2)]))).toEqual({ kind: 'restore', version: 2 });
  expect(await restorePlan(p, app('down', deployed(1)))).toEqual({ kind: 'restore', version: 1 });
  expect(await restorePlan(p, app('gone', deployed(1)))).toEqual({ kind: 'restore', version: 1 });
});
