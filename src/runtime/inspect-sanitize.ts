/**
 * `ps:inspect` output safe to paste elsewhere, as Dokku's is: every environment value is masked
 * except the platform's own, which hold no secret (the process name, the port, the search path).
 */
const SHOWN = /^(DYNO|PORT|PATH|DOKKU_[A-Z0-9_]*)$/;
export const MASK = 'XXXXXX';

export function sanitizeEnv(env: readonly string[]): string[] {
  return env.map((entry) => {
    const eq = entry.indexOf('=');
    if (eq < 0) return entry;
    return SHOWN.test(entry.slice(0, eq)) ? entry : `${entry.slice(0, eq + 1)}${MASK}`;
  });
}

/** A copy of one container's inspect data with its `Config.Env` masked. */
export function sanitizeInspect(described: unknown): unknown {
  const copy = structuredClone(described) as { Config?: { Env?: unknown } };
  if (Array.isArray(copy.Config?.Env)) copy.Config.Env = sanitizeEnv(copy.Config.Env.map(String));
  return copy;
}
