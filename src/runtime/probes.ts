import { connect } from 'node:net';
import type Docker from 'dockerode';
import type { ContainerCondition, Probe } from './checks.ts';

/** The real effects behind a check: TCP connects, HTTP GETs, and Docker's view of the container. */

export function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One GET without following redirects (a redirect is an answer, as on Dokku). */
export async function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

export async function containerCondition(container: Docker.Container): Promise<ContainerCondition> {
  const info = await container.inspect();
  return {
    running: info.State.Running && !info.State.Restarting,
    restarts: info.RestartCount ?? 0,
    exitCode: info.State.Running ? undefined : info.State.ExitCode,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function dockerProbe(container: Docker.Container): Probe {
  return {
    connect: tcpAccepts,
    get: httpGet,
    condition: () => containerCondition(container),
    sleep,
    now: () => Date.now(),
  };
}
