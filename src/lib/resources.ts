import { resourcesFor, type ResourceKey, type ResourceValues, type RunSettings } from './run-settings.ts';
import { printable } from './validate.ts';

/**
 * `resource:limit` / `resource:reserve` values as Dokku's docker-local scheduler reads them, and
 * what they become in Docker's HostConfig. Pure.
 */

const MIB = 1024 ** 2;
const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: MIB, mb: MIB, g: 1024 ** 3, gb: 1024 ** 3 };
/** Larger than any host this runs on: a typo, not a limit. */
const MAX_BYTES = 1024 ** 4;

/** Bytes for a memory value: a bare number is megabytes, as in Dokku; else a number with b, k, m or g. */
export function memoryBytes(v: string): number | undefined {
  const m = /^(\d{1,7})([a-z]{0,2})$/i.exec(v);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const factor = unit === '' ? MIB : UNITS[unit];
  if (factor === undefined) return undefined;
  const n = Number(m[1]) * factor;
  return n >= 6 * MIB && n <= MAX_BYTES ? n : undefined;
}

const CHECKS: Record<ResourceKey, (v: string) => string | undefined> = {
  cpu: (v) => (/^\d{1,3}(\.\d{1,3})?$/.test(v) && Number(v) > 0 && Number(v) <= 512 ? undefined : 'a number of CPUs above 0, such as 0.5 or 2'),
  memory: (v) => (memoryBytes(v) !== undefined ? undefined : 'megabytes (a bare number) or a number with b, k, m or g, from 6m (the least Docker takes) to 1024g'),
  'memory-swap': (v) => (memoryBytes(v) !== undefined ? undefined : 'megabytes (a bare number) or a number with b, k, m or g, from 6m (the least Docker takes) to 1024g'),
  pids: (v) => (/^\d{1,7}$/.test(v) && Number(v) >= 1 ? undefined : 'a whole number of processes, at least 1'),
  'nvidia-gpu': (v) => (/^(\d{1,2}|all)$/.test(v) && v !== '0' ? undefined : 'a number of GPUs, or all'),
};

/** Why the value is refused, as one sentence, or undefined. */
export function resourceValueProblem(key: ResourceKey, value: string): string | undefined {
  const problem = CHECKS[key](value);
  return problem ? `Invalid ${key} '${printable(value)}': use ${problem}` : undefined;
}

/** Checks the set as a whole: swap covers memory (Docker's rule). */
export function resourceSetProblem(values: ResourceValues): string | undefined {
  for (const [k, v] of Object.entries(values) as [ResourceKey, string][]) {
    const p = resourceValueProblem(k, v);
    if (p) return p;
  }
  if (values.memory !== undefined && values['memory-swap'] !== undefined && memoryBytes(values['memory-swap'])! < memoryBytes(values.memory)!) {
    return 'memory-swap must be at least memory (it is memory plus swap)';
  }
  return undefined;
}

export interface ResourceHostConfig {
  NanoCpus?: number;
  Memory?: number;
  MemorySwap?: number;
  PidsLimit?: number;
  MemoryReservation?: number;
  CpuShares?: number;
  DeviceRequests?: Array<{ Driver: string; Count: number; Capabilities: string[][] }>;
}

/** The process type's limits and reservations (its own over `_default_`) as Docker's HostConfig. */
export function resourceHostConfig(run: Pick<RunSettings, 'limits' | 'reservations'>, processType: string): ResourceHostConfig {
  const limit = resourcesFor(run.limits, processType);
  const reserve = resourcesFor(run.reservations, processType);
  const out: ResourceHostConfig = {};
  if (limit.cpu) out.NanoCpus = Math.round(Number(limit.cpu) * 1e9);
  if (limit.memory) out.Memory = memoryBytes(limit.memory)!;
  if (limit['memory-swap']) out.MemorySwap = memoryBytes(limit['memory-swap'])!;
  // Docker refuses a swap limit without a memory limit, and one below it: the memory limit then stands alone.
  if (out.MemorySwap !== undefined && (out.Memory === undefined || out.MemorySwap < out.Memory)) delete out.MemorySwap;
  if (limit.pids) out.PidsLimit = Number(limit.pids);
  if (limit['nvidia-gpu']) out.DeviceRequests = [{ Driver: 'nvidia', Count: limit['nvidia-gpu'] === 'all' ? -1 : Number(limit['nvidia-gpu']), Capabilities: [['gpu']] }];
  if (reserve.memory) out.MemoryReservation = memoryBytes(reserve.memory)!;
  // Docker has no cpu reservation outside swarm: a cpu reservation weighs the container's share under contention.
  if (reserve.cpu) out.CpuShares = Math.max(2, Math.round(Number(reserve.cpu) * 1024));
  return out;
}

