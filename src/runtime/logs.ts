import type Docker from 'dockerode';
import { listContainers } from './containers.ts';
import { DemuxedLines, demuxBufferLines, splitTimestamp, type DemuxedLine } from '../lib/log-frames.ts';
import type { ContainerStatus, LogLine, LogsOptions } from './scheduler.ts';

/** An app's container logs, demultiplexed and labelled by dyno, as `heroku logs` shows them. */

export function dynoName(c: Pick<ContainerStatus, 'processType' | 'index' | 'name'>): string {
  return c.index === undefined ? c.name : `${c.processType}.${c.index}`;
}

/** The last `n` lines a container wrote (stdout and stderr together), for error messages. */
export async function logTail(docker: Docker, id: string, n: number): Promise<string[]> {
  try {
    const buffer = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail: n })) as unknown as Buffer;
    return demuxBufferLines(buffer).map((l) => l.line).slice(-n);
  } catch {
    return [];
  }
}

/** A container whose log lines are labelled `dyno`. */
export interface LogSource {
  id: string;
  dyno: string;
}

export async function pastLines(docker: Docker, c: LogSource, tail: number | undefined): Promise<LogLine[]> {
  const buffer = (await docker.getContainer(c.id).logs({
    stdout: true, stderr: true, follow: false, timestamps: true, ...(tail !== undefined ? { tail } : {}),
  })) as unknown as Buffer;
  return demuxBufferLines(buffer).map(({ stream, line }) => ({ dyno: c.dyno, stream, ...splitTimestamp(line) }));
}

export function followLines(docker: Docker, c: LogSource, tail: number | undefined, signal: AbortSignal | undefined, onLine: (l: LogLine) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.getContainer(c.id).logs(
      { stdout: true, stderr: true, follow: true, timestamps: true, ...(tail !== undefined ? { tail } : {}) },
      (err, stream) => {
        if (err || !stream) return reject(err);
        const demux = new DemuxedLines();
        const emit = (lines: DemuxedLine[]) =>
          lines.forEach(({ stream: s, line }) => onLine({ dyno: c.dyno, stream: s, ...splitTimestamp(line) }));
        const stop = () => (stream as unknown as { destroy(): void }).destroy();
        signal?.addEventListener('abort', stop, { once: true });
        if (signal?.aborted) stop();
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          emit(demux.flush());
          signal?.removeEventListener('abort', stop);
          resolve();
        };
        stream.on('data', (chunk: Buffer) => emit(demux.push(chunk)));
        stream.on('end', finish);
        stream.on('close', finish);
        stream.on('error', finish);
      },
    );
  });
}

/**
 * Without `follow`, every container's lines merged in time order; with it, lines as they arrive,
 * until `signal` aborts or every container's stream ends.
 */
export async function appLogs(docker: Docker, app: string, opts: LogsOptions, onLine: (line: LogLine) => void): Promise<void> {
  const wanted = (c: ContainerStatus) =>
    opts.oneOffs ? c.oneOff && (opts.oneOffs.container === undefined || c.name === opts.oneOffs.container) : !opts.processType || c.processType === opts.processType;
  const containers = (await listContainers(docker, app, { oneOffs: Boolean(opts.oneOffs) })).filter(wanted).map((c) => ({ id: c.id, dyno: dynoName(c) }));
  if (!opts.follow) {
    const lines = (await Promise.all(containers.map((c) => pastLines(docker, c, opts.tail)))).flat();
    // Stable sort: lines of one container with equal times keep their order.
    lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).forEach(onLine);
    return;
  }
  if (opts.signal?.aborted) return;
  await Promise.all(containers.map((c) => followLines(docker, c, opts.tail, opts.signal, onLine)));
}
