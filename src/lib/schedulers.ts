/** The schedulers there are: what `scheduler:set <app> selected` takes. */
export const SCHEDULERS = ['docker-local', 'swarm'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export const DEFAULT_SCHEDULER: SchedulerName = 'docker-local';

export function isSchedulerName(v: string): v is SchedulerName {
  return (SCHEDULERS as readonly string[]).includes(v);
}

export function schedulerProblem(v: string): string | undefined {
  return isSchedulerName(v) ? undefined : `Unknown scheduler '${v.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}': use one of ${SCHEDULERS.join(', ')}`;
}

/** `HOST:PORT` (or a bare host) of a registry: a hostname or IPv4 address, and a port. */
export function registryServerProblem(v: string): string | undefined {
  const m = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:(\d{1,5}))?$/i.exec(v);
  if (!m || (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535))) return 'a registry as HOST:PORT';
  return undefined;
}
