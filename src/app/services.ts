import type Docker from 'dockerode';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';
import { step, detail } from '../lib/lines.ts';
import { appNetworkName } from '../lib/networks.ts';
import { aliasProblem, imageRepoProblem, imageVersionProblem, linkVar, serviceContainerName, servicePasswordProblem, serviceHost, validateServiceName, type ServiceKind } from '../lib/services/kind.ts';
import { serviceBackupDir, serviceDir, type Settings } from '../lib/settings.ts';
import { resourceValueProblem } from '../lib/resources.ts';
import { copyInputToFile } from '../lib/stdin.ts';
import { cronScheduleProblem } from '../lib/cron.ts';
import type { ServiceSpecInput } from '../runtime/service-spec.ts';
import { serviceStream, type ServiceLinkRef, type StoredEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { decideService, type ServiceCommand } from '../state/service-decider.ts';
import type { ReleaseCommand } from '../state/release-decider.ts';
import { findService, findServiceById, serviceLinks, type ServiceRow } from '../state/service-queries.ts';
import type { EventStore } from '../state/store.ts';
import { forbidTenant, type Context } from './context.ts';
import { syncCrontab } from './crontab-sync.ts';

/**
 * The built-in services' use cases, one set for every kind (lib/services/): each action is an
 * event on the service's stream, then the container is made to match. Links are the app's events
 * (its config and a release), so they go through the release decider like a config change.
 */

export type Say = (line: string) => void;

const runtime = () => import('../runtime/services.ts');

async function dockerOf(ctx: Context): Promise<Docker> {
  const { connectDocker } = await import('../lib/docker-client.ts');
  return connectDocker(ctx.settings);
}

export function requireService(store: EventStore, kind: ServiceKind, name: string): ServiceRow {
  validateServiceName(name);
  const s = findService(store.db, kind.name, name);
  if (!s) throw new UserError(`${kind.title} service ${name} does not exist (see ${kind.name}:list)`);
  return s;
}

export function specOf(settings: Settings, s: ServiceRow): ServiceSpecInput {
  return {
    id: s.id,
    name: s.name,
    password: s.password,
    image: s.image,
    ...(s.memory ? { memory: s.memory } : {}),
    ...(s.shmSize ? { shmSize: s.shmSize } : {}),
    exposed: s.exposed,
    dir: serviceDir(settings, s.kind, s.name),
  };
}

/** The networks of the apps the service is linked to. */
const linkedNetworks = (store: EventStore, s: ServiceRow): string[] => serviceLinks(store.db, s.id).map((l) => appNetworkName(l.app));

function record(ctx: Context, store: EventStore, id: string, command: ServiceCommand): StoredEvent[] {
  return execute(
    store,
    serviceStream(id),
    () => {
      const service = findServiceById(store.db, id);
      return { ...(service ? { service } : {}), linkedApps: service ? serviceLinks(store.db, service.id).map((l) => l.app) : [] };
    },
    (state) => decideService(command, state),
    ctx.actor,
  );
}

/** The server's URL for an app on its network. */
export const serviceUrl = (kind: ServiceKind, s: ServiceRow): string => kind.url(s, serviceHost(kind.name, s.name), kind.port);

export interface CreateOptions {
  password?: string;
  image?: string;
  imageVersion?: string;
  memory?: string;
  shmSize?: string;
  clonedFrom?: string;
}

/** The image a service runs: dokku's own for the kind unless `--image`/`--image-version` say otherwise. */
export function imageRef(kind: ServiceKind, image: string | undefined, version: string | undefined): string {
  if (image !== undefined) {
    const p = imageRepoProblem(image);
    if (p) throw new UserError(p);
  }
  if (version !== undefined) {
    const p = imageVersionProblem(version);
    if (p) throw new UserError(p);
  }
  return `${image ?? kind.image.repo}:${version ?? kind.image.version}`;
}

async function ensureImage(ctx: Context, docker: Docker, kind: ServiceKind, ref: string, say: Say): Promise<void> {
  const [{ ensureServiceImage }, { stackImage }] = await Promise.all([import('../builder/service-image.ts'), import('./wiring.ts')]);
  await ensureServiceImage(docker, kind, ref, { stackImage: await stackImage(ctx), onLine: say, caBundle: ctx.settings.caBundle });
}

/** `<kind>:create`: the container first (so a service that cannot start is never recorded), then the event. */
export async function createService(ctx: Context, kind: ServiceKind, name: string, opts: CreateOptions, say: Say): Promise<ServiceRow> {
  validateServiceName(name);
  if (opts.password !== undefined) {
    const p = servicePasswordProblem(opts.password);
    if (p) throw new UserError(p);
  }
  for (const [flag, v] of [['--memory', opts.memory], ['--shm-size', opts.shmSize]] as const) {
    if (v === undefined) continue;
    const p = resourceValueProblem('memory', v);
    if (p) throw new UserError(`${flag}: ${p}`);
  }
  const image = imageRef(kind, opts.image, opts.imageVersion);
  const store = await ctx.store();
  if (findService(store.db, kind.name, name)) throw new UserError(`${kind.title} service ${name} already exists`);
  const dir = serviceDir(ctx.settings, kind.name, name);
  if (existsSync(join(dir, 'data')) && readdirSync(join(dir, 'data')).length) {
    throw new UserError(`${dir}/data holds data of an earlier ${kind.name} service named ${name}: move it away, or remove it, first`);
  }
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  // Container names are the engine's: one left by another dokku root (or by hand) is not this service's.
  if (await rt.serviceStatus(docker, kind, name)) throw new UserError(`A container named ${serviceContainerName(kind.name, name)} already exists on this host: remove it first (docker rm -f)`);
  await ensureImage(ctx, docker, kind, image, say);
  const id = randomUUID();
  const password = opts.password ?? randomBytes(16).toString('hex');
  const row: ServiceRow = { id, kind: kind.name, name, image, password, ...(opts.memory ? { memory: opts.memory } : {}), ...(opts.shmSize ? { shmSize: opts.shmSize } : {}), stopped: false, exposed: [], createdAt: '', actor: ctx.actor };
  // What a failed create leaves goes, but only if it is this create's: a racing create of the same
  // name may own the container (and the data directory) by now.
  const removeOwn = async () => {
    if ((await rt.serviceStatus(docker, kind, name))?.serviceId !== id) return;
    await rt.removeService(docker, kind, name);
    await rt.removeServiceData(docker, kind, specOf(ctx.settings, row));
  };
  say(detail('Waiting for the container to be ready'));
  try {
    await rt.startService(docker, kind, specOf(ctx.settings, row), { appNetworks: [] });
  } catch (err) {
    await removeOwn().catch(() => undefined);
    throw new UserError(`Could not start ${kind.name} service ${name}: ${(err as Error).message}`);
  }
  try {
    record(ctx, store, id, { type: 'create', kind: kind.name, name, image, password, ...(opts.memory ? { memory: opts.memory } : {}), ...(opts.shmSize ? { shmSize: opts.shmSize } : {}), ...(opts.clonedFrom ? { clonedFrom: opts.clonedFrom } : {}) });
  } catch (err) {
    await removeOwn().catch(() => undefined);
    if (String((err as Error).message).includes('UNIQUE')) throw new UserError(`${kind.title} service ${name} already exists`);
    throw err;
  }
  return findService(store.db, kind.name, name)!;
}

/** `<kind>:destroy`: refused while linked; the data stays unless `--force`, which says what it removes. */
export async function destroyService(ctx: Context, kind: ServiceKind, name: string, opts: { force: boolean }, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const linked = serviceLinks(store.db, s.id).map((l) => l.app);
  if (linked.length) throw new UserError(`Cannot destroy ${kind.name} service ${name}: it is linked to ${linked.join(', ')} (unlink it first)`);
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  const spec = specOf(ctx.settings, s);
  say(step(`Deleting ${kind.name} service ${name}`));
  await rt.removeService(docker, kind, name);
  record(ctx, store, s.id, { type: 'destroy', dataRemoved: opts.force });
  if (opts.force) {
    say(detail(`Removing its data in ${spec.dir}`));
    await rt.removeServiceData(docker, kind, spec);
  } else {
    say(detail(`Its data is kept in ${spec.dir}/data (destroy with --force removes it)`));
  }
  if (s.backupSchedule) await syncCrontab(store, ctx.settings);
}

/** Starts (making the container if it is missing) and joins the linked apps' networks. */
export async function startService(ctx: Context, kind: ServiceKind, name: string, say: Say, opts: { recreate?: boolean } = {}): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  say(step(`Starting ${kind.name} service ${name}`));
  await (await runtime()).startService(docker, kind, specOf(ctx.settings, s), { appNetworks: linkedNetworks(store, s), ...(opts.recreate ? { recreate: true } : {}) });
  record(ctx, store, s.id, { type: 'start' });
}

export async function stopService(ctx: Context, kind: ServiceKind, name: string, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  say(step(`Stopping ${kind.name} service ${name}`));
  await (await runtime()).stopService(await dockerOf(ctx), kind, name);
  record(ctx, store, s.id, { type: 'stop' });
}

export async function restartService(ctx: Context, kind: ServiceKind, name: string, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  say(step(`Restarting ${kind.name} service ${name}`));
  await rt.stopService(docker, kind, name);
  await rt.startService(docker, kind, specOf(ctx.settings, s), { appNetworks: linkedNetworks(store, s) });
  record(ctx, store, s.id, { type: 'restart' });
}

/** A free tcp port of this host, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** `<kind>:expose NAME [PORT]`: published on the host (the container is made again; its data stays). */
export async function exposeService(ctx: Context, kind: ServiceKind, name: string, port: number | undefined, say: Say): Promise<number> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  if (s.exposed.length) throw new UserError(`${kind.title} service ${name} is already exposed on port ${s.exposed.join(', ')} (unexpose it first)`);
  const chosen = port ?? (await freePort());
  const { listeningPorts } = await import('../proxy/host-ports.ts');
  if (listeningPorts().has(chosen)) throw new UserError(`Port ${chosen} is already in use on this host`);
  record(ctx, store, s.id, { type: 'expose', ports: [chosen] });
  try {
    await recreate(ctx, kind, name);
  } catch (err) {
    record(ctx, store, s.id, { type: 'unexpose' });
    await recreate(ctx, kind, name).catch(() => undefined);
    throw new UserError(`Could not expose ${kind.name} service ${name} on port ${chosen}: ${(err as Error).message}`);
  }
  say(step(`Service ${name} exposed on port ${chosen}`));
  return chosen;
}

export async function unexposeService(ctx: Context, kind: ServiceKind, name: string, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  record(ctx, store, s.id, { type: 'unexpose' });
  await recreate(ctx, kind, name);
  say(step(`Service ${name} unexposed`));
}

/** Makes the container again from what the log says now; a stopped service stays stopped. */
async function recreate(ctx: Context, kind: ServiceKind, name: string): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  await rt.startService(docker, kind, specOf(ctx.settings, s), { appNetworks: linkedNetworks(store, s), recreate: true });
  if (s.stopped) await rt.stopService(docker, kind, name);
}

/** `<kind>:upgrade NAME [--image-version V]`: the same data under another image. */
export async function upgradeService(ctx: Context, kind: ServiceKind, name: string, opts: { image?: string; imageVersion?: string }, say: Say): Promise<string> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const [repo] = splitRef(s.image);
  const image = imageRef(kind, opts.image ?? repo, opts.imageVersion ?? (opts.image === undefined ? kind.image.version : undefined));
  if (image === s.image) throw new UserError(`${kind.title} service ${name} already runs ${image}`);
  const docker = await dockerOf(ctx);
  await ensureImage(ctx, docker, kind, image, say);
  record(ctx, store, s.id, { type: 'upgrade', image });
  say(step(`Upgrading ${kind.name} service ${name} to ${image}`));
  try {
    await recreate(ctx, kind, name);
  } catch (err) {
    record(ctx, store, s.id, { type: 'upgrade', image: s.image });
    await recreate(ctx, kind, name).catch(() => undefined);
    throw new UserError(`Upgrade of ${kind.name} service ${name} to ${image} failed, it runs ${s.image} again: ${(err as Error).message}`);
  }
  return image;
}

const splitRef = (ref: string): [string, string] => {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, 'latest'];
};

/** Refuses a command that needs the server answering. */
async function requireRunning(docker: Docker, kind: ServiceKind, s: ServiceRow): Promise<void> {
  const status = await (await runtime()).serviceStatus(docker, kind, s.name);
  if (!status?.running) throw new UserError(`${kind.title} service ${s.name} is not running (${kind.name}:start ${s.name} first)`);
}

/** Streams a dump of the service to `out`; resolves with its size and sha256. */
async function dumpTo(ctx: Context, docker: Docker, kind: ServiceKind, s: ServiceRow, out: (chunk: Buffer) => void | Promise<void>): Promise<{ bytes: number; sha256: string }> {
  await requireRunning(docker, kind, s);
  const hash = createHash('sha256');
  let bytes = 0;
  const result = await (await runtime()).execService(docker, kind, s, kind.dump(s), {
    onStdout: (c) => {
      bytes += c.length;
      hash.update(c);
      return out(c);
    },
  });
  if (result.exitCode !== 0) throw new UserError(`Export of ${kind.name} service ${s.name} failed (exit ${result.exitCode})${result.stderr.length ? `: ${result.stderr.join(' / ')}` : ''}`);
  return { bytes, sha256: hash.digest('hex') };
}

/** A dump of the service into `file` (mode 0600); what `backup` and the platform backup write. */
export async function dumpServiceToFile(ctx: Context, kind: ServiceKind, s: ServiceRow, file: string): Promise<{ bytes: number; sha256: string }> {
  const fd = openSync(file, 'w', 0o600);
  try {
    return await dumpTo(ctx, await dockerOf(ctx), kind, s, (c) => {
      writeSync(fd, c);
    });
  } finally {
    closeSync(fd);
  }
}

/** `<kind>:export NAME`: the dump on stdout. */
export async function exportService(ctx: Context, kind: ServiceKind, name: string, out: (chunk: Buffer) => void | Promise<void>): Promise<{ bytes: number }> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const done = await dumpTo(ctx, await dockerOf(ctx), kind, s, out);
  record(ctx, store, s.id, { type: 'exported', ...done });
  return done;
}

/** Where dumps wait while they are checked: the whole input is on disk before the server sees a byte. */
const spoolDir = (settings: Settings): string => join(settings.root, '.tmp');

/** Copies the caller's stdin to a spool file (size-capped); the caller removes it. */
export async function spoolInput(ctx: Context, stream: NodeJS.ReadableStream): Promise<string> {
  mkdirSync(spoolDir(ctx.settings), { recursive: true, mode: 0o700 });
  const file = join(spoolDir(ctx.settings), `import-${randomBytes(6).toString('hex')}`);
  try {
    await copyInputToFile(stream, file, { maxBytes: ctx.settings.maxArchiveBytes, what: 'the dump on stdin' });
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
  return file;
}

/** Feeds a file in chunks, waiting for each to be taken. */
const fileInput = (file: string) => async (write: (chunk: Buffer) => Promise<void>): Promise<void> => {
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) await write(chunk as Buffer);
};

/**
 * `<kind>:import NAME` from a dump file: its first bytes must be the kind's dump's, so a wrong or
 * empty file is refused before the server sees it; the kind's restore is all or nothing.
 */
export async function importService(ctx: Context, kind: ServiceKind, name: string, file: string, say: Say): Promise<{ bytes: number }> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  await requireRunning(docker, kind, s);
  const bytes = statSync(file).size;
  const head = Buffer.alloc(Math.max(...kind.dumpMagic.map((m) => Buffer.byteLength(m))));
  const fd = openSync(file, 'r');
  const got = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (!kind.dumpMagic.some((m) => head.subarray(0, got).toString('latin1').startsWith(m))) {
    throw new UserError(`The input is not a ${kind.name} dump (it does not start with ${kind.dumpMagic.join(' or ')}): nothing was imported`);
  }
  const rt = await runtime();
  const restore = kind.restore(s);
  say(step(`Importing ${bytes} bytes into ${kind.name} service ${name}`));
  let result;
  if (restore.via === 'exec') {
    result = await rt.execService(docker, kind, s, restore.cmd, { input: fileInput(file) });
  } else {
    await rt.stopService(docker, kind, name);
    try {
      result = await rt.runOffline(docker, kind, specOf(ctx.settings, s), restore.cmd, { input: fileInput(file) });
    } finally {
      await rt.startService(docker, kind, specOf(ctx.settings, s), { appNetworks: linkedNetworks(store, s) });
    }
  }
  if (result.exitCode !== 0) throw new UserError(`Import into ${kind.name} service ${name} failed (exit ${result.exitCode})${result.stderr.length ? `: ${result.stderr.join(' / ')}` : ''}`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  record(ctx, store, s.id, { type: 'imported', bytes, sha256: hash.digest('hex') });
  return { bytes };
}

/** `<kind>:backup NAME`: a dump into the backups directory, oldest removed past the schedule's retention. */
export async function backupService(ctx: Context, kind: ServiceKind, name: string, say: Say): Promise<{ file: string; bytes: number }> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const dir = serviceBackupDir(ctx.settings, kind.name, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}-${kind.dumpFile}`);
  const partial = `${file}.partial`;
  let done;
  try {
    done = await dumpServiceToFile(ctx, kind, s, partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, file);
  record(ctx, store, s.id, { type: 'exported', ...done, file });
  const keep = s.backupKeep ?? DEFAULT_KEEP;
  const all = readdirSync(dir).filter((f) => f.endsWith(kind.dumpFile)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(dir, old), { force: true });
  say(step(`Backed up ${kind.name} service ${name} to ${file} (${done.bytes} bytes)`));
  return { file, bytes: done.bytes };
}

export const DEFAULT_KEEP = 7;

/** `<kind>:backup-schedule NAME SCHEDULE [--keep N]`: a line in the dokku block of the crontab. */
export async function scheduleBackup(ctx: Context, kind: ServiceKind, name: string, schedule: string, keep: number): Promise<void> {
  const problem = cronScheduleProblem(schedule);
  if (problem) throw new UserError(`Invalid backup schedule '${printable(schedule)}': ${problem}`);
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  record(ctx, store, s.id, { type: 'backup-schedule', schedule, keep });
  await syncCrontab(store, ctx.settings);
}

export async function unscheduleBackup(ctx: Context, kind: ServiceKind, name: string): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  record(ctx, store, s.id, { type: 'backup-unschedule' });
  await syncCrontab(store, ctx.settings);
}

/** `<kind>:clone NAME NEW`: a new service of the same image with the old one's data. */
export async function cloneService(ctx: Context, kind: ServiceKind, name: string, newName: string, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  await requireRunning(docker, kind, s);
  const [repo, version] = splitRef(s.image);
  await createService(ctx, kind, newName, { image: repo, imageVersion: version, ...(s.memory ? { memory: s.memory } : {}), clonedFrom: s.id }, say);
  mkdirSync(spoolDir(ctx.settings), { recursive: true, mode: 0o700 });
  const file = join(spoolDir(ctx.settings), `clone-${randomBytes(6).toString('hex')}`);
  try {
    await dumpServiceToFile(ctx, kind, s, file);
    await importService(ctx, kind, newName, file, say);
  } catch (err) {
    await destroyService(ctx, kind, newName, { force: true }, () => {}).catch(() => undefined);
    throw err;
  } finally {
    rmSync(file, { force: true });
  }
}

/** `<kind>:link NAME APP`: joins the app's network, then the URL goes into the app's config and a release. */
export async function linkService(ctx: Context, kind: ServiceKind, name: string, appName: string, opts: { alias?: string; noRestart: boolean }, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const app = requireApp(store.db, appName);
  const alias = opts.alias ?? kind.alias;
  const problem = aliasProblem(alias);
  if (problem) throw new UserError(problem);
  if (serviceLinks(store.db, s.id).some((l) => l.appId === app.id)) throw new UserError(`${kind.name} service ${name} is already linked to ${app.name}`);
  const url = serviceUrl(kind, s);
  const link: ServiceLinkRef = { serviceId: s.id, kind: kind.name, name, alias };
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  await rt.joinAppNetwork(docker, kind, name, appNetworkName(app.name), app.name);
  try {
    await decideLink(ctx, app, { type: 'service:link', link, vars: { [`${alias}_URL`]: url, [linkVar(kind.name, name)]: url }, restart: !opts.noRestart }, say);
  } catch (err) {
    if (!serviceLinks(store.db, s.id).some((l) => l.appId === app.id)) await rt.leaveAppNetwork(docker, kind, name, appNetworkName(app.name)).catch(() => undefined);
    throw err;
  }
}

export async function unlinkService(ctx: Context, kind: ServiceKind, name: string, appName: string, opts: { noRestart: boolean }, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const app = requireApp(store.db, appName);
  if (!serviceLinks(store.db, s.id).some((l) => l.appId === app.id)) throw new UserError(`${kind.name} service ${name} is not linked to ${app.name}`);
  await decideLink(ctx, app, { type: 'service:unlink', serviceId: s.id, restart: !opts.noRestart }, say);
  await (await runtime()).leaveAppNetwork(await dockerOf(ctx), kind, name, appNetworkName(app.name));
}

/** `<kind>:promote NAME APP`: this service's URL becomes the app's `DATABASE_URL` (the kind's alias). */
export async function promoteService(ctx: Context, kind: ServiceKind, name: string, appName: string, say: Say): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const app = requireApp(store.db, appName);
  const url = serviceUrl(kind, s);
  await decideLink(ctx, app, { type: 'service:promote', link: { serviceId: s.id, kind: kind.name, name, alias: kind.alias }, vars: { [`${kind.alias}_URL`]: url, [linkVar(kind.name, name)]: url } }, say);
}

async function decideLink(ctx: Context, app: AppRow, command: ReleaseCommand, say: Say): Promise<void> {
  const [{ makePipeline }, { decideAndDeploy }] = await Promise.all([import('./wiring.ts'), import('./deploy.ts')]);
  await decideAndDeploy(await makePipeline(ctx), app.name, command, (events) => {
    const set = events.flatMap((e) => (e.type === 'ConfigSet' ? Object.keys(e.data.vars) : []));
    const unset = events.flatMap((e) => (e.type === 'ConfigUnset' ? e.data.keys : []));
    if (set.length) say(step(`Setting config vars\n${set.map((k) => detail(`${k}:  (a ${command.type === 'service:unlink' ? '' : 'service '}URL)`)).join('\n')}`));
    if (unset.length) say(step(`Unsetting config vars\n${unset.map((k) => detail(k)).join('\n')}`));
    if (events.some((e) => e.type === 'ReleaseCreated')) say(step(`Restarting app ${app.name}`));
  });
}

/** Every service's container back as the log says: made if missing, started unless stopped (`ps:restore`, `backup:import`). */
export async function restoreServices(ctx: Context, services: ServiceRow[], say: Say): Promise<string[]> {
  const store = await ctx.store();
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  const failed: string[] = [];
  for (const s of services) {
    const { serviceKind } = await import('../lib/services/index.ts');
    const kind = serviceKind(s.kind);
    try {
      const status = await rt.serviceStatus(docker, kind, s.name);
      if (status?.running || (s.stopped && status)) {
        say(step(`${kind.name} service ${s.name} is ${status.running ? 'running' : 'stopped'}`));
        continue;
      }
      say(step(`Starting ${kind.name} service ${s.name}`));
      await ensureImage(ctx, docker, kind, s.image, say);
      await rt.startService(docker, kind, specOf(ctx.settings, s), { appNetworks: linkedNetworks(store, s) });
      if (s.stopped) await rt.stopService(docker, kind, s.name);
    } catch (err) {
      say(` !     ${kind.title} service ${s.name}: ${(err as Error).message}`);
      failed.push(`${s.kind} ${s.name}`);
    }
  }
  return failed;
}


/** The apps a service is linked to that the caller may see: a key sees only its own apps' names. */
export function visibleLinks(ctx: Context, store: EventStore, s: ServiceRow): ReturnType<typeof serviceLinks> {
  return serviceLinks(store.db, s.id).filter((l) => !ctx.visibleApps || ctx.visibleApps.has(l.appId));
}

/** What `info` and `list` show of a service beyond the log: its container as Docker has it. */
export interface ServiceDescription {
  service: ServiceRow;
  status: string;
  internalIp: string;
  version: string;
  links: string[];
  dsn: string;
  dir: string;
}

export async function describeService(ctx: Context, kind: ServiceKind, s: ServiceRow, opts: { version?: boolean } = {}): Promise<ServiceDescription> {
  const store = await ctx.store();
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  const status = await rt.serviceStatus(docker, kind, s.name);
  let version = s.image;
  if (opts.version && status?.running) {
    let out = '';
    const r = await rt.execService(docker, kind, s, kind.version(s), { onStdout: (c) => {
      out += c.toString('utf8');
    } }).catch(() => undefined);
    if (r?.exitCode === 0 && out.trim()) version = out.trim().split('\n')[0]!;
  }
  return {
    service: s,
    status: status ? (status.running ? 'running' : status.state) : 'missing',
    internalIp: status?.ip ?? '',
    version,
    links: visibleLinks(ctx, store, s).map((l) => l.app),
    dsn: serviceUrl(kind, s),
    dir: serviceDir(ctx.settings, kind.name, s.name),
  };
}

/** `<kind>:logs NAME [-t]`: the server's own output. */
export async function serviceLogLines(ctx: Context, kind: ServiceKind, name: string, opts: { tail: number; follow: boolean; signal: AbortSignal }, onLine: (time: string, text: string, stderr: boolean) => void): Promise<void> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  const docker = await dockerOf(ctx);
  const rt = await runtime();
  if (!(await rt.serviceStatus(docker, kind, s.name))) throw new UserError(`${kind.title} service ${name} has no container (${kind.name}:start ${name} makes it)`);
  await rt.serviceLogs(docker, kind, name, opts, (l) => onLine(l.time, l.text, l.stream === 'stderr'));
}

/** `<kind>:connect` (the kind's client) and `<kind>:enter` (a shell or a command) on the caller's terminal. */
export async function enterService(ctx: Context, kind: ServiceKind, name: string, command: string[] | 'client', terminal: import('../runtime/scheduler.ts').Terminal): Promise<number> {
  const store = await ctx.store();
  const s = requireService(store, kind, name);
  // A shell in the service (psql's \! included) is on every linked app's network: a key may have
  // one only when it holds all of those apps.
  const foreign = serviceLinks(store.db, s.id).filter((l) => ctx.visibleApps && !ctx.visibleApps.has(l.appId));
  if (foreign.length) await forbidTenant(ctx, `${kind.name}:${command === 'client' ? 'connect' : 'enter'}`, `${kind.name} service ${name} is also linked to apps this key does not hold`);
  const docker = await dockerOf(ctx);
  await requireRunning(docker, kind, s);
  const rt = await runtime();
  // The client reads the password from the environment the exec sets: nobody types it.
  return rt.enterService(docker, kind, s, command === 'client' ? kind.connect(s) : command.length ? command : ['/bin/sh'], terminal);
}
