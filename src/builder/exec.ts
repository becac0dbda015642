/**
 * Running a command in a build container and streaming what it prints, line by line, and
 * committing the container once its work is done. Arguments travel as an array (Docker's Cmd),
 * never through a shell.
 */
import type Docker from 'dockerode';
import { FrameDecoder } from '../lib/log-frames.ts';
import { LineSplitter, type OnLine } from '../lib/lines.ts';
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
  await demuxLines(stream, (chunk) => stdout.push(chunk), onStdout, onStderr);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8') };
}

/** Splits Docker's multiplexed stdout/stderr stream into lines on each side. */
export function demuxLines(
  stream: NodeJS.ReadableStream,
  onStdoutChunk: (chunk: Buffer) => void,
  onStdout: OnLine,
  onStderr: OnLine,
): Promise<void> {
  const outLines = new LineSplitter(onStdout);
  const errLines = new LineSplitter(onStderr);
  const frames = new FrameDecoder();
  const onChunk = (c: Buffer) => {
    for (const { stream: which, data } of frames.push(c)) {
      if (which === 'stderr') errLines.push(data);
      else {
        onStdoutChunk(data);
        outLines.push(data);
      }
    }
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      outLines.flush();
      errLines.flush();
      resolve();
    };
    stream.on('data', onChunk);
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
