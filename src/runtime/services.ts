import type Docker from 'dockerode';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { LABEL } from '../lib/labels.ts';
import { FrameDecoder } from '../lib/log-frames.ts';
import { serviceContainerName, serviceHost, type ServiceKind } from '../lib/services/kind.ts';
import { isGone, removeContainer, stopContainer } from './containers.ts';
import { followLines, logTail, pastLines } from './logs.ts';
import { connect, ensureNetwork, removeNetwork } from './networks.ts';
import { execIn } from './one-off.ts';
import type { LogLine, Terminal } from './scheduler.ts';
import { serviceContainerSpec, serviceNetworkName, type ServiceSpecInput } from './service-spec.ts';

/**
 * A service's container on the local Docker engine: made from its spec, started on a bridge of its
 * own, joined to each linked app's network under its DNS alias, waited for until it answers; and
 * the commands dokku runs inside it (dumps in and out, the client), with their bytes streamed.
 */

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

export interface ServiceStatus {
  id: string;
  /** The dokku service the container was made for (its label). */
  serviceId: string;
  state: string;
  running: boolean;
  /** Its address on its own network. */
  ip: string;
  image: string;
  /** Host ports it is published on. */
  hostPorts: number[];
  restartCount: number;
}

export async function serviceStatus(docker: Docker, kind: ServiceKind, name: string): Promise<ServiceStatus | undefined> {
  try {
    const info = await docker.getContainer(serviceContainerName(kind.name, name)).inspect();
    const nets = info.NetworkSettings?.Networks ?? {};
    const own = nets[serviceNetworkName(kind.name, name)];
    const bindings = Object.values(info.HostConfig?.PortBindings ?? {}).flat() as Array<{ HostPort?: string }>;
    return {
      id: info.Id,
      serviceId: info.Config.Labels?.[LABEL.serviceId] ?? '',
      state: info.State.Status,
      running: info.State.Running,
      ip: own?.IPAddress ?? Object.values(nets)[0]?.IPAddress ?? '',
      image: info.Config.Image,
      hostPorts: bindings.map((b) => Number(b.HostPort)).filter((p) => p > 0),
      restartCount: info.RestartCount ?? 0,
    };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** The host directories the container mounts, and the config files the kind writes there. */
function prepareDirs(kind: ServiceKind, s: ServiceSpecInput): void {
  // The config holds the password: the service's directory is dokku's alone on the host (a bind
  // mount needs no access to the directories above it).
  mkdirSync(s.dir, { recursive: true, mode: 0o700 });
  chmodSync(s.dir, 0o700);
  mkdirSync(join(s.dir, 'data'), { recursive: true, mode: 0o755 });
  if (!kind.configFiles) return;
  mkdirSync(join(s.dir, 'config'), { recursive: true, mode: 0o755 });
  for (const [file, text] of Object.entries(kind.configFiles({ name: s.name, password: s.password }))) {
    const path = join(s.dir, 'config', file);
    writeFileSync(path, text, { mode: 0o644 });
    chmodSync(path, 0o644);
  }
}

export interface StartOptions {
  /** The linked apps' networks, joined under the service's alias. */
  appNetworks: string[];
  /** Make the container again from the spec (a new image, other published ports). */
  recreate?: boolean;
  /** How long the server may take to answer its ready check. */
  readySeconds?: number;
}

/** Makes the container if it is missing (or `recreate`), starts it, joins the apps' networks and waits until it answers. */
export async function startService(docker: Docker, kind: ServiceKind, s: ServiceSpecInput, opts: StartOptions): Promise<ServiceStatus> {
  prepareDirs(kind, s);
  const name = serviceContainerName(kind.name, s.name);
  await ensureNetwork(docker, serviceNetworkName(kind.name, s.name), { [LABEL.service]: kind.name });
  let status = await serviceStatus(docker, kind, s.name);
  if (status && opts.recreate) {
    await stopContainer(docker, status.id);
    await removeContainer(docker, status.id);
    status = undefined;
  }
  if (!status) await docker.createContainer(serviceContainerSpec(kind, s));
  const container = docker.getContainer(name);
  await connect(docker, name, opts.appNetworks, [serviceHost(kind.name, s.name)]);
  try {
    await container.start();
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
  await waitReady(docker, kind, s, opts.readySeconds ?? 60);
  return (await serviceStatus(docker, kind, s.name))!;
}

async function waitReady(docker: Docker, kind: ServiceKind, s: ServiceSpecInput, seconds: number): Promise<void> {
  const name = serviceContainerName(kind.name, s.name);
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = await serviceStatus(docker, kind, s.name);
    if (!status?.running && status?.state !== 'restarting') {
      const tail = await logTail(docker, name, 20);
      throw new Error(`${kind.title} service ${s.name} stopped while starting${tail.length ? `:\n${tail.join('\n')}` : ''}`);
    }
    if (status.running && (await execService(docker, kind, s, kind.ready({ name: s.name, password: s.password }), {}).catch(() => ({ exitCode: 1 }))).exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(`${kind.title} service ${s.name} did not answer within ${seconds}s (see ${kind.name}:logs ${s.name})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function stopService(docker: Docker, kind: ServiceKind, name: string): Promise<void> {
  await stopContainer(docker, serviceContainerName(kind.name, name));
}

/** The container and the service's own network; its data stays. */
export async function removeService(docker: Docker, kind: ServiceKind, name: string): Promise<void> {
  await removeContainer(docker, serviceContainerName(kind.name, name));
  await removeNetwork(docker, serviceNetworkName(kind.name, name));
}

/** Joins (or leaves) an app's network under the service's alias. */
export async function joinAppNetwork(docker: Docker, kind: ServiceKind, name: string, network: string, app: string): Promise<void> {
  await ensureNetwork(docker, network, { [LABEL.app]: app });
  await connect(docker, serviceContainerName(kind.name, name), [network], [serviceHost(kind.name, name)]);
}

export async function leaveAppNetwork(docker: Docker, kind: ServiceKind, name: string, network: string): Promise<void> {
  try {
    await docker.getNetwork(network).disconnect({ Container: serviceContainerName(kind.name, name), Force: true });
  } catch (err) {
    // Not on it, or the network or container is gone: nothing to leave.
    if (![404, 403, 500].includes(statusOf(err) ?? 0) || (statusOf(err) === 500 && !/not connected/.test(String((err as Error).message)))) throw err;
  }
}

/**
 * The service containers on an app's network leave it, but those of the `keep` service ids: after
 * an unlink or a rollback past a link, and before the network is removed with the app.
 */
export async function servicesLeave(docker: Docker, network: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
  let info: { Containers?: Record<string, { Name: string }> };
  try {
    info = (await docker.getNetwork(network).inspect()) as typeof info;
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw err;
  }
  for (const [id] of Object.entries(info.Containers ?? {})) {
    const labels = (await docker.getContainer(id).inspect().catch(() => undefined))?.Config.Labels ?? {};
    // By the id label: an app image made FROM a service's image inherits the image's kind label.
    if (labels[LABEL.serviceId] && !keep.has(labels[LABEL.serviceId]!)) await docker.getNetwork(network).disconnect({ Container: id, Force: true }).catch(() => undefined);
  }
}

/** What a command inside the service reads and where its output goes. */
export interface ExecIo {
  /** Feeds stdin: `write` resolves once the chunk may be followed by the next. */
  input?: (write: (chunk: Buffer) => Promise<void>) => Promise<void>;
  /** stdout's bytes, in order; a promise it returns holds the next ones back until it settles. */
  onStdout?: (chunk: Buffer) => void | Promise<void>;
}

export interface ExecResult {
  exitCode: number;
  /** The last lines it wrote on stderr. */
  stderr: string[];
}

/** Runs a command in the running service with the kind's environment, its bytes streamed both ways. */
export async function execService(docker: Docker, kind: ServiceKind, s: { name: string; password: string }, cmd: string[], io: ExecIo): Promise<ExecResult> {
  const env = Object.entries(kind.execEnv({ name: s.name, password: s.password })).map(([k, v]) => `${k}=${v}`);
  const exec = await docker.getContainer(serviceContainerName(kind.name, s.name)).exec({
    Cmd: cmd,
    Env: env,
    AttachStdin: io.input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: io.input !== undefined })) as unknown as Duplex;
  const stderr = await pump(stream, io);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? 1, stderr };
}

/**
 * Runs a command in a container of the service's image with its data directory mounted, while the
 * service is stopped (a restore the server cannot take while it runs). Removed afterwards.
 */
export async function runOffline(docker: Docker, kind: ServiceKind, s: ServiceSpecInput, cmd: string[], io: ExecIo): Promise<ExecResult> {
  const env = Object.entries(kind.execEnv({ name: s.name, password: s.password })).map(([k, v]) => `${k}=${v}`);
  const container = await docker.createContainer({
    Image: s.image,
    Entrypoint: [],
    Cmd: cmd,
    Env: env,
    OpenStdin: io.input !== undefined,
    StdinOnce: true,
    AttachStdin: io.input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { [LABEL.service]: kind.name, [LABEL.serviceName]: s.name },
    HostConfig: { Binds: [`${s.dir}/data:${kind.dataDir}`], NetworkMode: 'none' },
  });
  try {
    const stream = (await container.attach({ stream: true, stdin: io.input !== undefined, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    await container.start();
    const stderr = await pump(stream, io);
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { exitCode: StatusCode, stderr };
  } finally {
    await removeContainer(docker, container.id);
  }
}

/**
 * Writes the input (if any) and reads the multiplexed output until the stream ends. stdout goes to
 * `onStdout` in order; while a write it returned is pending, the stream is paused, so a slow reader
 * of a dump holds the dump back instead of filling memory.
 */
async function pump(stream: Duplex, io: ExecIo): Promise<string[]> {
  const frames = new FrameDecoder();
  let errText = '';
  let backlog: Promise<void> = Promise.resolve();
  let failure: unknown;
  let paused = false;
  const ended = new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => {
      for (const f of frames.push(c)) {
        if (f.stream === 'stderr') {
          errText = (errText + f.data.toString('utf8')).slice(-8192);
          continue;
        }
        const data = Buffer.from(f.data);
        backlog = backlog.then(() => io.onStdout?.(data)).catch((err: unknown) => {
          failure ??= err;
          stream.destroy();
        });
      }
      if (!paused) {
        paused = true;
        stream.pause();
        void backlog.then(() => {
          paused = false;
          if (!stream.destroyed) stream.resume();
        });
      }
    });
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  if (io.input) {
    const write = (chunk: Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) return reject(new Error('The command stopped reading its input'));
        if (stream.write(chunk)) resolve();
        else stream.once('drain', resolve);
      });
    try {
      await io.input(write);
    } finally {
      // Half-close: the command reads end of input, its output still comes back.
      stream.end();
    }
  }
  await ended;
  await backlog;
  if (failure) throw failure;
  return errText.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-10);
}

/** The client or a shell in the service, on the caller's terminal, with the kind's environment (the client finds the password there). */
export function enterService(docker: Docker, kind: ServiceKind, s: { name: string; password: string }, cmd: string[], terminal: Terminal): Promise<number> {
  const env = Object.entries(kind.execEnv(s)).map(([k, v]) => `${k}=${v}`);
  return execIn(docker, serviceContainerName(kind.name, s.name), cmd, terminal, env);
}

export async function serviceLogs(docker: Docker, kind: ServiceKind, name: string, opts: { tail?: number; follow?: boolean; signal?: AbortSignal }, onLine: (l: LogLine) => void): Promise<void> {
  const source = { id: serviceContainerName(kind.name, name), dyno: name };
  if (!opts.follow) return (await pastLines(docker, source, opts.tail)).forEach(onLine);
  return followLines(docker, source, opts.tail, opts.signal, onLine);
}

/**
 * Removes the service's data. Its files belong to the server's user inside the container, so a
 * container of the image removes them; the directories left are dokku's own.
 */
export async function removeServiceData(docker: Docker, kind: ServiceKind, s: ServiceSpecInput): Promise<void> {
  const container = await docker.createContainer({
    Image: s.image,
    Entrypoint: [],
    Cmd: ['rm', '-rf', '/service/data', '/service/config'],
    Labels: { [LABEL.service]: kind.name, [LABEL.serviceName]: s.name },
    HostConfig: { Binds: [`${s.dir}:/service`], NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
  } finally {
    await removeContainer(docker, container.id).catch((err) => (isGone(err) ? undefined : Promise.reject(err)));
  }
  rmSync(s.dir, { recursive: true, force: true });
}
