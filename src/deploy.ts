import { copyFileSync, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { UserError } from './errors.ts';
import { buildLogPath, sourcePath, type Settings } from './settings.ts';
import type { DomainEvent, StoredEvent } from './state/events.ts';
import { appStream } from './state/events.ts';
import { execute } from './state/execute.ts';
import { ownNames } from './state/image-queries.ts';
import { findAppById, requireApp, type AppRow } from './state/queries.ts';
import { decideRelease, defaultFormation, type ReleaseCommand, type ReleaseRecord } from './state/release-decider.ts';
import { getFormation, getRelease, getRuntime, getSetting, getSettings, listBuilds, listReleases, loadReleaseState, releaseContext } from './state/release-queries.ts';
import { checkSettingsFrom, settingDefault } from './state/settings-schema.ts';
import type { EventStore } from './state/store.ts';
import type { BuildResult, ReleaseSpec, Upstream } from './types.ts';
import type { DeployResult, Scheduler } from './runtime/scheduler.ts';

/**
 * The deploy pipeline, top to bottom: lock → build → release → start → check → switch → retire.
 * Every step that changes anything is an event; the effects (Docker) are behind `Builder` and
 * `Scheduler`, handed in by the caller.
 */

export type Source =
  | { kind: 'archive'; path: string; sha?: string }
  | { kind: 'git'; path: string; sha: string }
  | { kind: 'image'; image: string }
  | { kind: 'rebuild' };

export interface BuildRequest {
  app: string;
  source: Source;
  imageTag: string;
  builder?: string;
  buildpacks: string[];
  env: Record<string, string>;
  onLine: (line: string) => void;
}

export interface Builder {
  build(req: BuildRequest): Promise<BuildResult>;
  /** Runs app.json's predeploy in the image and returns the committed image id. */
  predeploy(image: string, command: string, env: Record<string, string>, onLine: (line: string) => void): Promise<string>;
  removeImage(image: string): Promise<void>;
  /** Every image and build cache volume of the app. */
  removeAppArtifacts(app: string): Promise<void>;
  /** Build containers and work directories whose creator died (every build container of the app with `everyBuild`). */
  removeLeftovers?(app: string, opts?: { everyBuild?: boolean }): Promise<string[]>;
}

export interface DeployLock {
  /** Set when the lock was taken over from a holder that died: its deploy was interrupted. */
  readonly takenOverFrom?: { pid: number };
  release(): void;
}

export interface Pipeline {
  store: EventStore;
  settings: Settings;
  actor: string;
  builder: () => Promise<Builder>;
  scheduler: () => Promise<Scheduler>;
  lock: (app: string) => DeployLock;
  onLine: (line: string) => void;
  /** Where the app answers, for the last line of a deploy (the proxy fills this in). */
  urlsOf?: (app: AppRow) => string[];
  /**
   * Points the proxy at new upstreams: checks the new configuration, calls `record` (which appends
   * TrafficSwitched), then reloads. Throws, with nothing recorded, if the proxy refuses it.
   */
  switchTraffic?: (appId: string, version: number, upstreams: Upstream[], record: () => void, undo: () => void) => Promise<void>;
}

const imageTagFor = (app: string, build: number): string => `dokku/${app}:build-${build}`;

function decide(p: Pipeline, appId: string, command: ReleaseCommand): StoredEvent[] {
  const { db } = p.store;
  return execute(
    p.store,
    appStream(appId),
    () => loadReleaseState(db, appId),
    (state) => decideRelease(command, state, releaseContext(db, appId)),
    p.actor,
  );
}

function append(p: Pipeline, appId: string, events: DomainEvent[]): void {
  execute(p.store, appStream(appId), () => null, () => events, p.actor);
}

/** Build from source (or take an image), record the release, deploy it. Returns the release. */
export async function deploySource(p: Pipeline, appName: string, source: Source): Promise<ReleaseRecord> {
  const app = requireApp(p.store.db, appName);
  const lock = await lockApp(p, app);
  let log: WriteStream | undefined;
  try {
    const sha = source.kind === 'git' || source.kind === 'archive' ? source.sha : undefined;
    const [started] = decide(p, app.id, { type: 'build:start', source: source.kind, ...(sha ? { sha } : {}) });
    const build = (started!.data as { build: number }).build;
    log = openLog(buildLogPath(p.settings, app.id, build));
    const onLine = tee(p.onLine, log);
    const result = await buildStep(p, app, build, source, onLine);
    const events = decide(p, app.id, { type: 'release:from-build', build, result, ...(sha ? { sha } : {}) });
    const version = (events.find((e) => e.type === 'ReleaseCreated')!.data as { version: number }).version;
    await deployRelease(p, app, version, onLine);
    return getRelease(p.store.db, app.id, version)!;
  } finally {
    log?.end();
    lock.release();
  }
}

async function buildStep(p: Pipeline, app: AppRow, build: number, source: Source, onLine: (l: string) => void): Promise<BuildResult> {
  const { db } = p.store;
  try {
    const builder = await p.builder();
    const current = listReleases(db, app.id, 1)[0];
    const effective: Source = source.kind === 'rebuild' ? rebuildSource(p.settings, app.id, current) : source;
    const selected = getSetting(db, app.id, 'builder', 'selected', '');
    const env = { ...releaseContext(db, app.id).globalConfig, ...loadReleaseState(db, app.id).config };
    const result = await builder.build({
      app: app.name,
      source: effective,
      imageTag: imageTagFor(app.name, build),
      ...(selected ? { builder: selected } : {}),
      buildpacks: JSON.parse(getSettings(db, app.id, 'buildpacks').list ?? '[]') as string[],
      env,
      onLine,
    });
    if (result.appJson.predeploy) {
      onLine(`-----> Running predeploy: ${result.appJson.predeploy}`);
      result.imageId = await builder.predeploy(result.imageTag, result.appJson.predeploy, env, onLine);
    }
    decide(p, app.id, { type: 'build:succeed', build, result });
    if (effective.kind === 'archive' || effective.kind === 'git') keepSource(p.settings, app.id, effective.path);
    return result;
  } catch (err) {
    // A failed build's image (committed before predeploy failed, say) must not stay deployable by tag.
    await p.builder().then((b) => b.removeImage(imageTagFor(app.name, build))).catch(() => undefined);
    decide(p, app.id, { type: 'build:fail', build, reason: (err as Error).message.split('\n')[0]! });
    throw err;
  }
}

function keepSource(settings: Settings, appId: string, from: string): void {
  const to = sourcePath(settings, appId);
  if (resolve(from) === resolve(to)) return;
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  copyFileSync(from, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
}

/** `ps:rebuild` builds the last source again; an app deployed from an image re-takes its image. */
function rebuildSource(settings: Settings, appId: string, current: ReleaseRecord | undefined): Source {
  if (!current) throw new UserError('App has not been deployed yet: nothing to rebuild');
  const path = sourcePath(settings, appId);
  if (existsSync(path)) return { kind: 'archive', path, ...(current.sourceSha ? { sha: current.sourceSha } : {}) };
  return { kind: 'image', image: current.imageTag };
}

export function releaseSpec(app: AppRow, r: ReleaseRecord): ReleaseSpec {
  return {
    app: app.name,
    version: r.version,
    image: r.image,
    env: r.env,
    processTypes: r.processTypes,
    webPort: r.webPort,
    healthchecks: r.appJson.healthchecks ?? {},
  };
}

/** Start → checks → switch → retire, with the outcome recorded either way. */
export async function deployRelease(p: Pipeline, app: AppRow, version: number, onLine = p.onLine): Promise<DeployResult> {
  const { db } = p.store;
  const release = getRelease(db, app.id, version);
  if (!release) throw new UserError(`Release v${version} of ${app.name} does not exist`);
  append(p, app.id, [{ type: 'DeployStarted', data: { version } }]);
  const formation = defaultFormation(release.processTypes, getFormation(db, app.id));
  const checks = checkSettingsFrom(getSettings(db, app.id, 'checks'));
  onLine(`=====> Deploying ${app.name} v${version} (${release.description})`);
  let result: DeployResult;
  try {
    const scheduler = await p.scheduler();
    result = await scheduler.deploy({
      app: app.name,
      release: releaseSpec(app, release),
      formation,
      checks,
      onLine,
      onSwitch: (upstreams: Upstream[]) => switchTraffic(p, app.id, version, upstreams),
    });
  } catch (err) {
    append(p, app.id, [{ type: 'DeployFailed', data: { version, reason: (err as Error).message.split('\n')[0]! } }]);
    throw err;
  }
  append(p, app.id, [{ type: 'DeploySucceeded', data: { version, containers: result.containers.map((c) => c.name) } }]);
  if (release.appJson.postdeploy) {
    onLine(`-----> Running postdeploy: ${release.appJson.postdeploy}`);
    const code = await (await p.scheduler()).run(app.name, releaseSpec(app, release), ['/bin/sh', '-c', release.appJson.postdeploy], {
      stdout: lineWriter(onLine),
      stderr: lineWriter(onLine),
      tty: false,
    });
    if (code !== 0) onLine(` !     postdeploy exited with ${code}`);
  }
  await pruneImages(p, app);
  const urls = p.urlsOf?.(findAppById(db, app.id) ?? app) ?? [];
  onLine(`=====> Application deployed:`);
  for (const url of urls.length ? urls : result.upstreams.map((u) => `http://${u.host}:${u.port}`)) onLine(`       ${url}`);
  return result;
}

/**
 * Takes the app's deploy lock and, holding it, clears up after a deploy that was killed: nothing
 * else can be building or deploying the app now, so a build still "running" or a release still
 * "deploying" was interrupted.
 */
export async function lockApp(p: Pipeline, app: AppRow): Promise<DeployLock> {
  const lock = p.lock(app.name);
  try {
    const { found, reason } = await recoverInterrupted(p, app, lock.takenOverFrom);
    if (found.length) p.onLine(` !     ${found.join(' and ')} of ${app.name} ${found.length === 1 ? 'was' : 'were'} ${reason}; marked failed`);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}

/**
 * For a caller holding the app's deploy lock: records the interrupted build or deploy as failed
 * and removes what it left (build containers, upcoming containers, work directories). Returns
 * what was found, for the caller's output.
 */
export async function recoverInterrupted(p: Pipeline, app: AppRow, died?: { pid: number }): Promise<{ found: string[]; reason: string }> {
  const { db } = p.store;
  const reason = died ? `interrupted: process ${died.pid} died` : 'interrupted';
  const said: string[] = [];
  for (const b of listBuilds(db, app.id).filter((r) => r.status === 'running')) {
    decide(p, app.id, { type: 'build:fail', build: b.number, reason });
    said.push(`build ${b.number}`);
  }
  const deploying = listReleases(db, app.id).filter((r) => r.status === 'deploying');
  if (deploying.length) append(p, app.id, deploying.map((r) => ({ type: 'DeployFailed' as const, data: { version: r.version, reason } })));
  for (const r of deploying) said.push(`deploy of v${r.version}`);
  if (!died && said.length === 0) {
    // Nothing was interrupted by what the lock knows; still, a build container or work directory
    // whose creator died (a kill outside any deploy lock) goes.
    const builder = await p.builder();
    await builder.removeLeftovers?.(app.name);
    return { found: said, reason };
  }
  const scheduler = await p.scheduler();
  const ports = getRuntime(db, app.id).upstreams.map((u) => u.port);
  await scheduler.removeInterrupted?.(app.name, ports);
  await (await p.builder()).removeLeftovers?.(app.name, { everyBuild: true });
  rmSync(`${sourcePath(p.settings, app.id)}.tmp`, { force: true }); // keepSource's copy, if it died mid-copy
  return { found: said, reason };
}

/**
 * For commands that only read (ps:report): recovers an interrupted deploy when the app's deploy
 * lock is free or its holder died, so what they show is the truth; a live deploy is left alone.
 */
export async function recoverIfIdle(p: Pipeline, app: AppRow): Promise<void> {
  // Only a build or deploy still in flight by the log is worth the lock (a reader holding it would
  // turn a deploy starting at that moment away).
  const { db } = p.store;
  const inFlight = listBuilds(db, app.id).some((b) => b.status === 'running') || listReleases(db, app.id).some((r) => r.status === 'deploying');
  if (!inFlight) return;
  let lock: DeployLock;
  try {
    lock = p.lock(app.name);
  } catch (err) {
    if (err instanceof UserError) return; // held by a live deploy
    throw err;
  }
  try {
    await recoverInterrupted(p, app, lock.takenOverFrom);
  } finally {
    lock.release();
  }
}

/** Records the new upstreams; with a proxy, nginx is checked before and reloaded after the record. */
async function switchTraffic(p: Pipeline, appId: string, version: number, upstreams: Upstream[]): Promise<void> {
  const record = () => append(p, appId, [{ type: 'TrafficSwitched', data: { version, upstreams } }]);
  // A switch the proxy did not confirm goes back on record to the upstreams that still serve.
  const before = getRuntime(p.store.db, appId);
  const undo = () => append(p, appId, [{ type: 'TrafficSwitched', data: { version: before.current ?? version, upstreams: before.upstreams } }]);
  if (p.switchTraffic) await p.switchTraffic(appId, version, upstreams, record, undo);
  else record();
}

/** Converges the running containers to the recorded formation, without restarting the others. */
export async function applyScale(p: Pipeline, app: AppRow): Promise<void> {
  const { db } = p.store;
  const state = loadReleaseState(db, app.id);
  if (state.current === undefined || state.stopped) return;
  const release = getRelease(db, app.id, state.current)!;
  const lock = await lockApp(p, app);
  try {
    await (await p.scheduler()).scale({
      app: app.name,
      release: releaseSpec(app, release),
      formation: defaultFormation(release.processTypes, getFormation(db, app.id)),
      checks: checkSettingsFrom(getSettings(db, app.id, 'checks')),
      onLine: p.onLine,
      onSwitch: (upstreams: Upstream[]) => switchTraffic(p, app.id, release.version, upstreams),
    });
  } finally {
    lock.release();
  }
}

/** Renames a running app: record it, deploy the current release under the new name, remove the old containers. */
export async function renameRunningApp(p: Pipeline, app: AppRow, to: string, record: () => Promise<unknown>): Promise<void> {
  const oldLock = p.lock(app.name);
  try {
    await record();
    const renamed = findAppById(p.store.db, app.id)!;
    const newLock = p.lock(to);
    try {
      const version = loadReleaseState(p.store.db, app.id).current!;
      await deployRelease(p, renamed, version);
      await (await p.scheduler()).destroy(app.name);
    } finally {
      newLock.release();
    }
  } finally {
    oldLock.release();
  }
}

/** Stops and removes what the app runs and built; the caller records AppDestroyed after. */
export async function removeAppResources(p: Pipeline, app: AppRow): Promise<void> {
  await (await p.scheduler()).destroy(app.name);
  const builder = await p.builder();
  for (const r of listReleases(p.store.db, app.id)) for (const ref of [r.imageTag, r.image]) await builder.removeImage(ref).catch(() => undefined);
  // Images and build caches carry the name the app had when they were made: clear each earlier
  // name too, unless another app has taken it since.
  for (const name of new Set([app.name, ...ownNames(p.store.db, app.id)])) await builder.removeAppArtifacts(name);
  rmSync(sourcePath(p.settings, app.id), { force: true });
  rmSync(dirname(buildLogPath(p.settings, app.id, 0)), { recursive: true, force: true });
}

/** Keeps the images of the last `keep-count` releases (and the current one); records what went. */
async function pruneImages(p: Pipeline, app: AppRow): Promise<void> {
  const { db } = p.store;
  const keep = Number(getSetting(db, app.id, 'releases', 'keep-count', settingDefault('releases', 'keep-count')));
  const releases = listReleases(db, app.id);
  const kept = new Set(releases.slice(0, keep).map((r) => r.image));
  const current = loadReleaseState(db, app.id).current;
  const currentImage = current === undefined ? undefined : getRelease(db, app.id, current)?.image;
  if (currentImage) kept.add(currentImage);
  const doomed = releases.slice(keep).filter((r) => !r.pruned && !kept.has(r.image));
  if (doomed.length === 0) return;
  const builder = await p.builder();
  for (const image of new Set(doomed.map((r) => r.image))) await builder.removeImage(image).catch(() => undefined);
  append(p, app.id, [{ type: 'ReleaseImagesPruned', data: { versions: doomed.map((r) => r.version) } }]);
}

/** Records the command's events (config change, rollback) and deploys the release it created, if any. */
export async function decideAndDeploy(
  p: Pipeline,
  appName: string,
  command: ReleaseCommand,
  onDecided: (events: StoredEvent[]) => void = () => {},
): Promise<{ events: StoredEvent[]; deployed?: number }> {
  const app = requireApp(p.store.db, appName);
  const lock = await lockApp(p, app);
  try {
    const events = decide(p, app.id, command);
    if (events.length) onDecided(events);
    const created = events.find((e) => e.type === 'ReleaseCreated');
    if (!created) return { events };
    const version = (created.data as { version: number }).version;
    await deployRelease(p, app, version);
    return { events, deployed: version };
  } finally {
    lock.release();
  }
}

export function recordRelease(p: Pipeline, appId: string, command: ReleaseCommand): StoredEvent[] {
  return decide(p, appId, command);
}

function openLog(path: string): WriteStream {
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path, { mode: 0o600 });
}

function tee(onLine: (l: string) => void, log: WriteStream): (l: string) => void {
  return (line) => {
    log.write(`${line}\n`);
    onLine(line);
  };
}

/** A writable that hands complete lines to `onLine`. */
function lineWriter(onLine: (l: string) => void): NodeJS.WritableStream {
  let buf = '';
  return new Writable({
    write(chunk, _enc, done) {
      buf += String(chunk);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(`       ${buf.slice(0, i)}`);
        buf = buf.slice(i + 1);
      }
      done();
    },
    final(done) {
      if (buf) onLine(`       ${buf}`);
      done();
    },
  });
}
