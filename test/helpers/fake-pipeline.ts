import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordSwitch, type DeployLock, type Pipeline } from '../../src/app/pipeline.ts';
import type { Builder, BuildRequest } from '../../src/builder/port.ts';
import { UserError } from '../../src/lib/errors.ts';
import { loadSettings } from '../../src/lib/settings.ts';
import type { BuildResult, Upstream } from '../../src/lib/types.ts';
import { DeployError, type DeployRequest, type DeployResult, type Scheduler } from '../../src/runtime/scheduler.ts';
import { openDatabase } from '../../src/state/db.ts';
import { appStream, type StoredEvent } from '../../src/state/events.ts';
import { migrate } from '../../src/state/migrate.ts';
import { requireApp, type AppRow } from '../../src/state/queries.ts';
import { EventStore } from '../../src/state/store.ts';

/**
 * The deploy pipeline on fakes: a real event store on a temporary SQLite file, and in-memory
 * builder, scheduler, deploy lock and proxy whose behaviour each test sets.
 */

/** A promise that never settles: the process "dies" there (nothing after it runs, no finally). */
export const never = <T>(): Promise<T> => new Promise<T>(() => {});

export class FakeBuilder implements Builder {
  /** What the next build does: succeed, throw, or hang (the process killed mid-build). */
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  builds: BuildRequest[] = [];
  removed: string[] = [];
  leftoversRemoved: Array<{ app: string; everyBuild: boolean }> = [];

  async build(req: BuildRequest): Promise<BuildResult> {
    this.builds.push(req);
    if (this.mode === 'fail') throw new Error('compile failed: npm ERR!\nmore detail');
    if (this.mode === 'hang') return never();
    return {
      imageId: `sha256:${String(this.builds.length).padStart(64, '0')}`,
      imageTag: req.imageTag,
      builder: 'dockerfile',
      processTypes: { web: 'node server.js' },
      exposedPorts: [],
      appJson: { healthchecks: {} },
      seconds: 1,
    };
  }

  async predeploy(image: string): Promise<string> {
    return image;
  }

  async removeImage(image: string): Promise<void> {
    this.removed.push(image);
  }

  async removeAppArtifacts(): Promise<void> {}

  async removeLeftovers(app: string, opts: { everyBuild?: boolean } = {}): Promise<string[]> {
    this.leftoversRemoved.push({ app, everyBuild: opts.everyBuild ?? false });
    return [];
  }
}

export class FakeScheduler implements Scheduler {
  /** What the next deploy does: pass its checks, fail them, or hang (killed before the switch). */
  mode: 'ok' | 'fail-checks' | 'hang' = 'ok';
  deploys: DeployRequest[] = [];
  /** Versions whose new containers were removed after a failure (the old ones kept). */
  undone: number[] = [];
  interruptedRemoved: Array<{ app: string; ports: number[] }> = [];

  async deploy(req: DeployRequest): Promise<DeployResult> {
    this.deploys.push(req);
    const v = req.release.version;
    if (this.mode === 'hang') return never();
    if (this.mode === 'fail-checks') {
      this.undone.push(v);
      throw new DeployError(req.app, v, 'checks', 'check failed for web.1: connection refused', 'shop.web.1', ['listening on 4000', 'Error: wrong port']);
    }
    const upstreams: Upstream[] = [{ processType: 'web', containerName: `${req.app}.web.1`, host: '127.0.0.1', port: 40_000 + v }];
    try {
      await req.onSwitch?.(upstreams);
    } catch (err) {
      this.undone.push(v);
      throw err;
    }
    return { containers: [], upstreams };
  }

  async removeInterrupted(app: string, ports: number[]): Promise<string[]> {
    this.interruptedRemoved.push({ app, ports });
    return [];
  }

  retireContainers = unused;
  scale = unused;
  restart = unused;
  stop = unused;
  start = unused;
  status = unused;
  inspect = unused;
  upstreams = unused;
  destroy = unused;
  logs = unused;
  run = unused;
  runDetached = unused;
  oneOffs = unused;
  stopOneOff = unused;
  enter = unused;
}

async function unused(): Promise<never> {
  throw new Error('not used by the deploy pipeline');
}

/**
 * The deploy lock in memory, re-entrant as the real one is for its own process: `held` counts this
 * process's handles per app; `holdElsewhere` stands for another live process holding it; `takeOver`
 * makes the next outermost take find a dead holder.
 */
export class FakeLock {
  held = new Map<string, number>();
  elsewhere = new Set<string>();
  taken = 0;
  released = 0;
  takeOver: { pid: number } | undefined;

  lock = (app: string): DeployLock => {
    if (this.elsewhere.has(app)) throw new UserError(`${app} is being deployed`);
    const depth = this.held.get(app) ?? 0;
    this.held.set(app, depth + 1);
    this.taken++;
    const takenOverFrom = depth === 0 ? this.takeOver : undefined;
    if (depth === 0) this.takeOver = undefined;
    let done = false;
    return {
      nested: depth > 0,
      ...(takenOverFrom ? { takenOverFrom } : {}),
      release: () => {
        if (done) return;
        done = true;
        const left = (this.held.get(app) ?? 1) - 1;
        if (left === 0) this.held.delete(app);
        else this.held.set(app, left);
        this.released++;
      },
    };
  };

  holdElsewhere(app: string): void {
    this.elsewhere.add(app);
  }

  /** A holder that died leaves the lock behind; the next one takes it over. */
  die(app: string, pid: number): void {
    this.held.delete(app);
    this.takeOver = { pid };
  }
}

/** The proxy: records the switch as nginx would after `nginx -t`, or refuses it with nothing recorded. */
export class FakeProxy {
  refuse = false;
  switches: Array<{ app: string; version: number; upstreams: Upstream[] }> = [];
  constructor(private readonly p: () => Pipeline) {}

  port: Pipeline['proxy'] = {
    switch: async (app: AppRow, version: number, upstreams: Upstream[]) => {
      if (this.refuse) throw new UserError('nginx: [emerg] invalid configuration');
      recordSwitch(this.p(), app.id, version, upstreams);
      this.switches.push({ app: app.name, version, upstreams });
    },
    urlsOf: (app: AppRow) => [`http://${app.name}.example.test`],
  };
}

export interface FakePipeline {
  p: Pipeline;
  app: AppRow;
  builder: FakeBuilder;
  scheduler: FakeScheduler;
  lock: FakeLock;
  proxy: FakeProxy;
  lines: string[];
  /** The event types of the app's stream after `from` (its version before the step under test). */
  typesSince(from: number): string[];
  events(): StoredEvent[];
  close(): Promise<void>;
}

export async function fakePipeline(appName = 'shop'): Promise<FakePipeline> {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-pipeline-'));
  const db = await openDatabase(join(dir, 'dokku.db'));
  migrate(db);
  const store = new EventStore(db);
  const id = randomUUID();
  store.append(appStream(id), 0, [{ type: 'AppCreated', data: { name: appName } }], 'admin');
  const builder = new FakeBuilder();
  const scheduler = new FakeScheduler();
  const lock = new FakeLock();
  const lines: string[] = [];
  let p!: Pipeline;
  const proxy = new FakeProxy(() => p);
  p = {
    store,
    settings: loadSettings({ DOKKU_ROOT: dir }),
    actor: 'admin',
    builder: async () => builder,
    scheduler: async () => scheduler,
    lock: lock.lock,
    onLine: (l) => lines.push(l),
    proxy: proxy.port,
  };
  const events = () => store.read(appStream(id));
  return {
    p,
    app: requireApp(db, appName),
    builder,
    scheduler,
    lock,
    proxy,
    lines,
    events,
    typesSince: (from) => events().filter((e) => e.version > from).map((e) => e.type),
    close: async () => {
      // A build log opens asynchronously: let it open before its directory goes.
      await new Promise((r) => setTimeout(r, 20));
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
