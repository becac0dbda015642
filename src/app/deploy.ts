import { copyFileSync, createWriteStream, existsSync, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { detail, lineWritable } from '../lib/lines.ts';
import { buildLogPath, sourcePath, type Settings } from '../lib/settings.ts';
import { firstOf, type StoredEvent } from '../state/events.ts';
import { findAppById, requireApp, type AppRow } from '../state/queries.ts';
import { defaultFormation, type ReleaseCommand, type ReleaseRecord } from '../state/release-decider.ts';
import { getFormation, getRelease, getSettings, listReleases, loadReleaseState, releaseContext, setting } from '../state/release-queries.ts';
import { checkSettingsFrom } from '../lib/check-settings.ts';
import type { BuildResult, ReleaseSpec, Upstream } from '../lib/types.ts';
import type { ContainerOptions } from '../lib/container-options.ts';
import { buildOptionsPart } from '../lib/docker-options.ts';
import { joinLinkedServices, leaveUnlinkedServices } from './service-networks.ts';
import { syncCrontab } from './crontab-sync.ts';
import { getRunSettings } from '../state/run-settings.ts';
import type { Database } from '../state/db.ts';
import { DeployError, type DeployResult } from '../runtime/scheduler.ts';
import type { Source } from '../builder/port.ts';
import type { BuildFilePaths } from '../builder/source.ts';

import { append, decide, imageTagFor, type Pipeline } from './pipeline.ts';
import { lockApp, withAppLock } from './recovery.ts';
import { noTriggers } from './triggers.ts';

export type { Source } from '../builder/port.ts';

/**
 * The deploy pipeline, top to bottom: lock → build → release → start → check → switch → retire.
 * Every step that changes anything is an event; the effects (Docker, nginx) are behind `Builder`,
 * `Scheduler` and `Pipeline.proxy`, handed in by the caller.
 */


/** Build from source (or take an image), record the release, deploy it. Returns the release. */
export async function deploySource(p: Pipeline, app: AppRow, source: Source): Promise<ReleaseRecord> {
  const lock = await lockApp(p, app);
  let log: WriteStream | undefined;
  let onTerm: (() => void) | undefined;
  try {
    const sha = source.kind === 'git' || source.kind === 'archive' ? source.sha : undefined;
    const started = firstOf(decide(p, app.id, { type: 'build:start', source: source.kind, ...(sha ? { sha } : {}) }), 'BuildStarted');
    const build = started!.data.build;
    log = openLog(buildLogPath(p.settings, app.id, build));
    const onLine = tee(p.onLine, log);
    // builds:cancel sends SIGTERM: the pusher is told, and the canceller records the build once this process is gone.
    onTerm = () => {
      onLine(` !     Build ${build} of ${app.name} cancelled`);
      process.exit(143);
    };
    process.once('SIGTERM', onTerm);
    const result = await buildStep(p, app, build, source, onLine);
    const t = p.triggers ?? noTriggers;
    await t.fire('pre-release-builder', [result.builder, app.name, result.imageTag], onLine);
    const events = decide(p, app.id, { type: 'release:from-build', build, result, ...(sha ? { sha } : {}) });
    const version = firstOf(events, 'ReleaseCreated')!.data.version;
    await t.fire('post-release-builder', [result.builder, app.name, result.imageTag], onLine);
    await deployRelease(p, app, version, onLine);
    return getRelease(p.store.db, app.id, version)!;
  } finally {
    if (onTerm) process.off('SIGTERM', onTerm);
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
    const selected = setting(db, app.id, 'builder', 'selected');
    const env = { ...releaseContext(db, app.id).globalConfig, ...loadReleaseState(db, app.id).config };
    const t = p.triggers ?? noTriggers;
    const where = effective.kind === 'image' ? effective.image : effective.kind === 'rebuild' ? '' : effective.path;
    await t.fire('pre-build', [selected || 'auto', app.name, where], onLine);
    const pluginBuildArgs = oneLine(await t.fire('docker-args-build', [app.name, effective.kind], onLine));
    const result = await builder.build({
      app: app.name,
      source: effective,
      imageTag: imageTagFor(app.name, build),
      ...(selected ? { builder: selected } : {}),
      buildpacks: JSON.parse(getSettings(db, app.id, 'buildpacks').list ?? '[]') as string[],
      env,
      filePaths: buildFilePaths(db, app.id),
      buildOptions: buildOptionsPart([...getRunSettings(db, app.id).dockerOptions.build, ...(pluginBuildArgs ? [pluginBuildArgs] : [])]),
      onLine,
    });
    if (result.appJson.predeploy) {
      onLine(`-----> Running predeploy: ${result.appJson.predeploy}`);
      result.imageId = await builder.predeploy(result.imageTag, result.appJson.predeploy, env, onLine);
    }
    await t.fire('post-build', [result.builder, app.name, where], onLine);
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

/** What builds the app again (`ps:rebuild`, `apps:clone`): its last source, or for an app deployed from an image, that image. */
export function rebuildSource(settings: Settings, appId: string, current: ReleaseRecord | undefined): Source {
  if (!current) throw new UserError('App has not been deployed yet: nothing to rebuild');
  const path = sourcePath(settings, appId);
  if (existsSync(path)) return { kind: 'archive', path, ...(current.sourceSha ? { sha: current.sourceSha } : {}) };
  return { kind: 'image', image: current.imageTag };
}

/** The container options as set now (`ps:set`, `logs:set`): settings, read when containers are made. */
export function containerOptions(db: Database, appId: string): ContainerOptions {
  return {
    restartPolicy: setting(db, appId, 'ps', 'restart-policy'),
    stopTimeout: Number(setting(db, appId, 'ps', 'stop-timeout-seconds')),
    logMaxSize: setting(db, appId, 'logs', 'max-size'),
  };
}

export function releaseSpec(app: AppRow, r: ReleaseRecord, options?: ContainerOptions): ReleaseSpec {
  return {
    ...(options ? { options } : {}),
    app: app.name,
    version: r.version,
    image: r.image,
    env: r.env,
    processTypes: r.processTypes,
    webPort: r.webPort,
    ...(r.exposedPorts ? { exposedPorts: r.exposedPorts } : {}),
    healthchecks: r.appJson.healthchecks ?? {},
    ...(r.runWith ? { run: r.runWith } : {}),
  };
}

/**
 * Start → checks → switch → retire, with the outcome recorded either way, holding the app's lock
 * (a caller that holds it already, a deploy of new source say, re-enters it).
 */
/** The failing container's last lines, kept with the failure for `logs:failed`. */
function failedOutput(err: unknown): { container?: string; output?: string[] } {
  if (!(err instanceof DeployError) || err.logTail.length === 0) return {};
  return { ...(err.container ? { container: err.container } : {}), output: err.logTail.slice(-100).map((l) => l.slice(0, 2000)) };
}

export function deployRelease(p: Pipeline, app: AppRow, version: number, onLine = p.onLine): Promise<DeployResult> {
  return withAppLock(p, app, () => deployHeld(p, app, version, onLine));
}

async function deployHeld(p: Pipeline, app: AppRow, version: number, onLine: (l: string) => void): Promise<DeployResult> {
  const { db } = p.store;
  const release = getRelease(db, app.id, version);
  if (!release) throw new UserError(`Release v${version} of ${app.name} does not exist`);
  // Heroku's `scripts.postdeploy` runs once: after the first deploy that succeeds.
  const before = loadReleaseState(db, app.id).current;
  const firstDeploy = before === undefined;
  const hadCron = before !== undefined && (getRelease(db, app.id, before)?.appJson.cron?.length ?? 0) > 0;
  append(p, app.id, [{ type: 'DeployStarted', data: { version } }]);
  const formation = defaultFormation(release.processTypes, getFormation(db, app.id));
  const checks = checkSettingsFrom(getSettings(db, app.id, 'checks'));
  onLine(`=====> Deploying ${app.name} v${version} (${release.description})`);
  let result: DeployResult;
  const t = p.triggers ?? noTriggers;
  try {
    await t.fire('pre-deploy', [app.name, release.imageTag], onLine);
    const pluginOptions = await pluginDeployOptions(p, app, release, formation, onLine);
    await joinLinkedServices(p.settings, app.name, release.links ?? []);
    const scheduler = await p.scheduler();
    const spec = { ...releaseSpec(app, release, containerOptions(db, app.id)), ...pluginOptions };
    // A swarm app's image goes to the registry once; the release keeps the digest every node pulls.
    const pushed = await scheduler.prepareImage?.(spec, onLine);
    if (pushed) append(p, app.id, [{ type: 'ReleaseImagePushed', data: { version, image: release.image, reference: pushed } }]);
    result = await scheduler.deploy({
      app: app.name,
      release: spec,
      formation,
      checks,
      onLine,
      onSwitch: async (upstreams: Upstream[]) => {
        for (const u of upstreams) await t.fire('check-deploy', [app.name, u.containerName, u.processType, String(u.port), u.host], onLine);
        await p.proxy.switch(app, version, upstreams);
      },
    });
  } catch (err) {
    append(p, app.id, [{ type: 'DeployFailed', data: { version, reason: (err as Error).message.split('\n')[0]!, ...failedOutput(err) } }]);
    throw err;
  }
  append(p, app.id, [{ type: 'DeploySucceeded', data: { version, containers: result.containers.map((c) => c.name) } }]);
  const web = result.upstreams[0];
  await t.fire('post-deploy', [app.name, web ? String(web.port) : '', web ? web.host : '', release.imageTag], onLine);
  await leaveUnlinkedServices(p.settings, app.name, release.links ?? [], before === undefined ? [] : (getRelease(db, app.id, before)?.links ?? []));
  const scripts = [...(firstDeploy && release.appJson.firstPostdeploy ? [release.appJson.firstPostdeploy] : []), ...(release.appJson.postdeploy ? [release.appJson.postdeploy] : [])];
  for (const script of scripts) {
    onLine(`-----> Running postdeploy: ${script}`);
    const say = (line: string) => onLine(detail(line));
    const code = await (await p.scheduler()).run(app.name, releaseSpec(app, release, containerOptions(p.store.db, app.id)), ['/bin/sh', '-c', script], {
      stdout: lineWritable(say),
      stderr: lineWritable(say),
      tty: false,
    });
    if (code !== 0) onLine(` !     postdeploy exited with ${code}`);
  }
  await pruneImages(p, app);
  // The crontab follows the current release's cron tasks; apps that never had any leave it alone.
  if (hadCron || (release.appJson.cron?.length ?? 0) > 0) {
    onLine('-----> Updating the cron schedule');
    await syncCrontab(p.store, p.settings);
  }
  const urls = p.proxy.urlsOf(findAppById(db, app.id) ?? app);
  onLine(`=====> Application deployed:`);
  for (const url of urls.length ? urls : result.upstreams.map((u) => `http://${u.host}:${u.port}`)) onLine(`       ${url}`);
  return result;
}

/** Keeps the images of the last `keep-count` releases (and the current one); records what went. */
async function pruneImages(p: Pipeline, app: AppRow): Promise<void> {
  const { db } = p.store;
  const keep = Number(setting(db, app.id, 'releases', 'keep-count'));
  const releases = listReleases(db, app.id);
  const kept = new Set(releases.slice(0, keep).map((r) => r.image));
  const current = loadReleaseState(db, app.id).current;
  const currentImage = current === undefined ? undefined : getRelease(db, app.id, current)?.image;
  if (currentImage) kept.add(currentImage);
  const doomed = releases.slice(keep).filter((r) => !r.pruned && !kept.has(r.image));
  if (doomed.length === 0) return;
  const [builder, scheduler] = await Promise.all([p.builder(), p.scheduler()]);
  for (const image of new Set(doomed.map((r) => r.image))) {
    await scheduler.forgetImage?.(app.name, image).catch(() => undefined);
    await builder.removeImage(image).catch(() => undefined);
  }
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
    const created = firstOf(events, 'ReleaseCreated');
    if (!created) return { events };
    const version = created.data.version;
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

/** The build files the app's settings moved inside its source (the rest are read at its root). */
function buildFilePaths(db: Database, appId: string): BuildFilePaths {
  const paths: BuildFilePaths = {};
  const procfile = setting(db, appId, 'ps', 'procfile-path');
  if (procfile) paths.Procfile = procfile;
  const appJson = setting(db, appId, 'app-json', 'appjson-path');
  if (appJson) paths['app.json'] = appJson;
  const template = setting(db, appId, 'nginx', 'nginx-conf-sigil-path');
  if (template) paths['nginx.conf.sigil'] = template;
  return paths;
}

/** A captured trigger's output as one docker option string (the parser splits it into flags). */
function oneLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

/** Dokku's docker-args-deploy, once per process type the formation runs: the plugins' options for its containers. */
export async function pluginDeployOptions(p: Pipeline, app: AppRow, release: ReleaseRecord, formation: Record<string, number>, onLine = p.onLine): Promise<Pick<ReleaseSpec, 'pluginOptions'>> {
  const t = p.triggers ?? noTriggers;
  const pluginOptions: Record<string, string> = {};
  for (const [type, count] of Object.entries(formation)) {
    if (count <= 0 || !(type in release.processTypes)) continue;
    const words = oneLine(await t.fire('docker-args-deploy', [app.name, release.imageTag, type], onLine));
    if (words) pluginOptions[type] = words;
  }
  return Object.keys(pluginOptions).length ? { pluginOptions } : {};
}

/** Dokku's docker-args-run: the plugins' options for a one-off container of the release. */
export async function pluginRunOptions(p: Pipeline, app: AppRow, release: ReleaseRecord): Promise<Pick<ReleaseSpec, 'pluginOptions'>> {
  const words = oneLine(await (p.triggers ?? noTriggers).fire('docker-args-run', [app.name, release.imageTag], p.onLine));
  return words ? { pluginOptions: { run: words } } : {};
}
