import { createAppContainer } from './networks.ts';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ReleaseSpec } from '../lib/types.ts';
import { oneOffSpec } from './container-spec.ts';
import { removeContainer } from './containers.ts';
import type { Terminal } from './scheduler.ts';

/**
 * Containers a person talks to: `run` (a fresh one-off container from a release) and `enter` (a
 * process inside a running one). Both wire the caller's terminal to Docker's hijacked stream and
 * hand back the exit code.
 */

export const oneOffId = (): string => randomBytes(3).toString('hex');

type Resizable = { resize(opts: { h: number; w: number }): Promise<unknown> };

/** Copies Docker's stream to the terminal and the terminal's stdin (if any) to Docker. */
function wire(docker: Docker, stream: Duplex, terminal: Terminal, target: Resizable): () => void {
  const { stdin, stdout, stderr, tty } = terminal;
  if (tty) stream.pipe(stdout, { end: false });
  else docker.modem.demuxStream(stream, stdout, stderr);

  const resize = () => {
    if (stdout.columns && stdout.rows) target.resize({ h: stdout.rows, w: stdout.columns }).catch(() => {});
  };
  const raw = tty && stdin?.isTTY && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode!(true);
  if (tty) {
    resize();
    stdout.on?.('resize', resize);
  }
  if (stdin) stdin.pipe(stream);

  return () => {
    if (stdin) {
      stdin.unpipe(stream);
      if (raw) stdin.setRawMode!(false);
      // Let a caller's process.stdin stop keeping the event loop alive.
      (stdin as NodeJS.ReadableStream & { pause?: () => void }).pause?.();
    }
    if (tty) (stdout as unknown as NodeJS.EventEmitter).removeListener?.('resize', resize);
  };
}

/** Resolves when the stream has delivered everything, or after `ms` (a stream may never end). */
function drained(stream: Duplex, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    const t = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}

/** A one-off container from `release` with its environment; removed afterwards; resolves with the exit code. */
export async function runOneOff(
  docker: Docker,
  release: ReleaseSpec,
  command: string[],
  terminal: Terminal & { env?: Record<string, string> },
  processType = 'run',
): Promise<number> {
  const interactive = terminal.stdin !== undefined;
  const spec = oneOffSpec(release, { processType, command, id: oneOffId(), tty: terminal.tty, interactive, env: terminal.env ?? {} });
  const container = await createAppContainer(docker, release, spec, { processType, oneOff: true });
  let unwire = () => {};
  try {
    const stream = (await container.attach({ stream: true, stdin: interactive, stdout: true, stderr: true, hijack: interactive })) as unknown as Duplex;
    unwire = wire(docker, stream, terminal, container);
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await drained(stream, 2000);
    return StatusCode;
  } finally {
    unwire();
    await removeContainer(docker, container.id);
  }
}

/** A one-off container started in the background; Docker removes it once it exits. Resolves with its name. */
export async function startOneOff(docker: Docker, release: ReleaseSpec, command: string[], env: Record<string, string> = {}): Promise<string> {
  const spec = oneOffSpec(release, { processType: 'run', command, id: oneOffId(), detached: true, env });
  const container = await createAppContainer(docker, release, spec, { processType: 'run', oneOff: true });
  try {
    await container.start();
  } catch (err) {
    await removeContainer(docker, container.id);
    throw err;
  }
  return spec.name!;
}

/** Runs `command` (default `/bin/sh`) inside a running container; resolves with its exit code. */
export async function execIn(docker: Docker, containerId: string, command: string[], terminal: Terminal, env: string[] = []): Promise<number> {
  const interactive = terminal.stdin !== undefined;
  const exec = await docker.getContainer(containerId).exec({
    Cmd: command.length ? command : ['/bin/sh'],
    ...(env.length ? { Env: env } : {}),
    AttachStdin: interactive,
    AttachStdout: true,
    AttachStderr: true,
    Tty: terminal.tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: interactive, Tty: terminal.tty })) as unknown as Duplex;
  const unwire = wire(docker, stream, terminal, exec);
  try {
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
  } finally {
    unwire();
  }
  const info = await exec.inspect();
  return info.ExitCode ?? 1;
}
