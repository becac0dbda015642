/**
 * Running a command in a build container and streaming what it prints, line by line, and
 * committing the container once its work is done. Arguments travel as an array (Docker's Cmd),
 * never through a shell.
 */
import type Docker from 'dockerode';
import { demuxStreamLines } from '../lib/log-frames.ts';
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
  // Build output: a bare CR (a progress bar redrawing) ends a line.
  await demuxStreamLines(stream, { onStdout, onStderr, onStdoutData: (chunk) => stdout.push(chunk) }, { crEndsLine: true });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8') };
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
