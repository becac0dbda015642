import type { ContainerStatus } from '../runtime/scheduler.ts';

/** `run:list`'s rows, as `docker ps` words them (Dokku's columns: NAMES, COMMAND, CREATED). */

/** `3 seconds ago`, `2 minutes ago`, `5 hours ago`, `4 days ago`. */
export function ago(createdSeconds: number | undefined, nowMs: number): string {
  if (createdSeconds === undefined) return '';
  const s = Math.max(0, Math.floor(nowMs / 1000 - createdSeconds));
  const [n, unit] = s < 60 ? [s, 'second'] : s < 3600 ? [Math.floor(s / 60), 'minute'] : s < 86400 ? [Math.floor(s / 3600), 'hour'] : [Math.floor(s / 86400), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

export function oneOffTable(containers: readonly ContainerStatus[], nowMs: number): string[] {
  const rows = [['NAMES', 'COMMAND', 'CREATED'], ...containers.map((c) => [c.name, JSON.stringify(c.command ?? ''), ago(c.created, nowMs)])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`.trimEnd());
}

export function oneOffJson(c: ContainerStatus): Record<string, string> {
  return {
    name: c.name,
    app: c.app,
    state: c.state,
    command: c.command ?? '',
    created_at: c.created === undefined ? '' : new Date(c.created * 1000).toISOString(),
  };
}
