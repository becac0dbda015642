import { createAppContainer } from './networks.ts';
import type Docker from 'dockerode';
import { DemuxedLines } from '../lib/log-frames.ts';
import { detail, step } from '../lib/output.ts';
import type { ReleaseSpec } from '../lib/types.ts';
import { oneOffSpec, procfileCommand } from './container-spec.ts';
import { removeContainer } from './containers.ts';
import { RELEASE_PHASE } from './formation.ts';
import { logTail } from './logs.ts';
import { oneOffId } from './one-off.ts';
import { sleep } from './probes.ts';
import { DeployError } from './scheduler.ts';

/** The Procfile `release` command, once, in a one-off container; a non-zero exit aborts the deploy. */
export async function runReleasePhase(docker: Docker, release: ReleaseSpec, say: (line: string) => void, logTailLines: number): Promise<void> {
  const cmd = procfileCommand(release.processTypes[RELEASE_PHASE]);
  if (!cmd) return;
  say(step(`Running release command: ${release.processTypes[RELEASE_PHASE]!.trim()}`));
  const id = oneOffId();
  const container = await createAppContainer(docker, release, oneOffSpec(release, { processType: RELEASE_PHASE, command: cmd, id }), { processType: RELEASE_PHASE, oneOff: true });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const demux = new DemuxedLines();
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => demux.push(chunk).forEach((l) => say(detail(l.line))));
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, sleep(2000)]);
    demux.flush().forEach((l) => say(detail(l.line)));
    if (StatusCode !== 0) {
      const tail = await logTail(docker, container.id, logTailLines);
      throw new DeployError(release.app, release.version, 'release', `release command exited with code ${StatusCode}`, `${release.app}.release.${id}`, tail);
    }
  } finally {
    await removeContainer(docker, container.id);
  }
}
