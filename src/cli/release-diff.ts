import type { ReleaseData } from '../state/events.ts';

export interface ReleaseDiff {
  config: { added: string[]; removed: string[]; changed: string[] };
  image: { from: string; to: string } | null;
  processes: { added: string[]; removed: string[]; changed: string[] };
  /** The app's nginx.conf.sigil: added, removed or changed between the two. */
  nginxTemplate?: '+' | '-' | '~';
}

function diffMaps(a: Record<string, string>, b: Record<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const added = Object.keys(b).filter((k) => !(k in a)).sort();
  const removed = Object.keys(a).filter((k) => !(k in b)).sort();
  const changed = Object.keys(b).filter((k) => k in a && a[k] !== b[k]).sort();
  return { added, removed, changed };
}

/** What changed from release `a` to release `b`: config keys (never values), image, process types. */
export function diffReleases(a: ReleaseData, b: ReleaseData): ReleaseDiff {
  return {
    config: diffMaps(a.env, b.env),
    image: a.image === b.image ? null : { from: a.image, to: b.image },
    processes: diffMaps(a.processTypes, b.processTypes),
    ...templateChange(a.nginxTemplate, b.nginxTemplate),
  };
}

function templateChange(a: string | undefined, b: string | undefined): Pick<ReleaseDiff, 'nginxTemplate'> {
  if (a === b) return {};
  return { nginxTemplate: a === undefined ? '+' : b === undefined ? '-' : '~' };
}

export function renderDiff(a: number, b: number, d: ReleaseDiff): string[] {
  const lines = [`=====> v${a} → v${b}`];
  const list = (label: string, keys: string[], mark: string) => {
    for (const k of keys) lines.push(`       ${mark} ${label} ${k}`);
  };
  list('config', d.config.added, '+');
  list('config', d.config.removed, '-');
  list('config', d.config.changed, '~');
  if (d.image) lines.push(`       ~ image ${d.image.from.slice(0, 19)} → ${d.image.to.slice(0, 19)}`);
  list('process', d.processes.added, '+');
  list('process', d.processes.removed, '-');
  list('process', d.processes.changed, '~');
  if (d.nginxTemplate) lines.push(`       ${d.nginxTemplate} nginx.conf.sigil`);
  if (lines.length === 1) lines.push('       no differences');
  return lines;
}
