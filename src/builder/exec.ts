/**
 * Running a command in a build container and streaming what it prints, line by line, and
 * committing the container once its work is done. Arguments travel as an array (Docker's Cmd),
 * never through a shell.
 */
import type Docker from 'dockerode';
import { DemuxedLines, type DemuxedLine, type Frame } from '../lib/log-frames.ts';
import type { OnLine } from '../lib/lines.ts';
import { splitImageRef } from './image-ref.ts';

export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
}

/** Runs `cmd` in a running container; resolves with its exit code once its output has ended. */
export async function execInContainer(container: Docker.Container, cmd: string[], opts: ExecOptions, onLine: OnLine): Promise<number> {
  const { exitCode } = await execCapture(container, cmd, opts, onLine);
  return exitCode;
}

/** Like execInContainer, but also hands back stdout, for scripts whose output is data (bin/release). */
export async function execCapture(
  container: Docker.Container,
  cmd: string[],
  opts: ExecOptions,
  onStderr: OnLine,
  onStdout: OnLine = onStderr,
): Promise<{ exitCode: number; stdout: string }> {
  const exec = await container.exec({
    Cmd: cmd,
    User: opts.user,
    Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
    WorkingDir: opts.workingDir,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout: Buffer[] = [];
  await demuxStreamLines(stream, (chunk) => stdout.push(chunk), onStdout, onStderr);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8') };
}

/**
 * Follows a live multiplexed stdout/stderr stream to its end, handing each side's lines on as
 * build output (a bare CR ends a line) and stdout's bytes to `onStdoutData` as they come.
 */
export function demuxStreamLines(
  stream: NodeJS.ReadableStream,
  onStdoutData: (chunk: Buffer) => void,
  onStdout: OnLine,
  onStderr: OnLine,
): Promise<void> {
  const demux = new DemuxedLines({ crEndsLine: true });
  const emit = (lines: DemuxedLine[]) => {
    for (const { stream: which, line } of lines) (which === 'stderr' ? onStderr : onStdout)(line);
  };
  const keepStdout = (f: Frame) => {
    if (f.stream === 'stdout') onStdoutData(f.data);
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      emit(demux.flush());
      resolve();
    };
    stream.on('data', (c: Buffer) => emit(demux.push(c, keepStdout)));
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', reject);
  });
}

/**
 * Commits a container to `imageTag` with `config` as the image's configuration. Docker fills in
 * what `config` leaves out from the container's own, so `config` should say everything that
 * matters (Entrypoint, Cmd, Env, User, WorkingDir).
 */
export async function commitContainer(container: Docker.Container, imageTag: string, config: Record<string, unknown>): Promise<string> {
  const { repo, tag } = splitImageRef(imageTag);
  // The query and the body both travel in `options`: `_query` and `_body` split them (docker-modem).
  const res = (await container.commit({ _query: { container: container.id, repo, tag, pause: false }, _body: config })) as { Id: string };
  return res.Id;
}
