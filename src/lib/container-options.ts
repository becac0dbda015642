import { printable } from './validate.ts';

/**
 * The per-app container options a user sets with `ps:set` and `logs:set`, checked as Docker and
 * Dokku check them, and turned into Docker's shapes. Pure: no Docker, no state.
 */

/** What a container of the app is made with, beyond its release. */
export interface ContainerOptions {
  /** Docker's `--restart` value: `no`, `always`, `unless-stopped`, `on-failure[:N]`. */
  restartPolicy: string;
  /** Seconds between SIGTERM and SIGKILL when the container is stopped. */
  stopTimeout: number;
  /** json-file `max-size`, or `unlimited` for none. */
  logMaxSize: string;
}

export const DEFAULT_RESTART_POLICY = 'on-failure:10';
export const DEFAULT_STOP_TIMEOUT = 30;
export const MAX_STOP_TIMEOUT = 3600;
export const DEFAULT_LOG_MAX_SIZE = '10m';

export const DEFAULT_CONTAINER_OPTIONS: ContainerOptions = {
  restartPolicy: DEFAULT_RESTART_POLICY,
  stopTimeout: DEFAULT_STOP_TIMEOUT,
  logMaxSize: DEFAULT_LOG_MAX_SIZE,
};

/** Why a restart policy is refused, or undefined. */
export function restartPolicyProblem(v: string): string | undefined {
  if (/^(no|always|unless-stopped)$/.test(v)) return undefined;
  const m = /^on-failure(?::(\d{1,4}))?$/.exec(v);
  if (m) return undefined;
  return `Invalid restart-policy '${printable(v)}': use no, always, unless-stopped or on-failure[:N]`;
}

/** Docker's RestartPolicy object for a checked policy. */
export function restartPolicy(v: string): { Name: string; MaximumRetryCount?: number } {
  const m = /^on-failure(?::(\d+))?$/.exec(v);
  if (m) return { Name: 'on-failure', MaximumRetryCount: m[1] === undefined ? 0 : Number(m[1]) };
  return { Name: v };
}

/** `unlimited`, or a whole number with Docker's unit (`k`, `m`, `g`, upper or lower case). */
export function logMaxSizeProblem(v: string): string | undefined {
  if (v === 'unlimited' || /^[1-9]\d{0,5}[kmgKMG]$/.test(v)) return undefined;
  return `Invalid max-size '${printable(v)}': use unlimited or a number with a unit (k, m, g), e.g. 10m`;
}

/** Docker's LogConfig for a checked max-size (json-file, the daemon's default driver). */
export function logConfig(maxSize: string): { Type: string; Config: Record<string, string> } {
  return { Type: 'json-file', Config: maxSize === 'unlimited' ? {} : { 'max-size': maxSize } };
}

