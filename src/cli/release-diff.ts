import type { ReleaseData } from '../state/events.ts';
import { maskDockerOption } from './audit.ts';
import { DOCKER_PHASES, emptyRunSettings, type Mount, type ResourceValues, type RunSettings } from '../lib/run-settings.ts';

export interface ReleaseDiff {
  config: { added: string[]; removed: string[]; changed: string[] };
  image: { from: string; to: string } | null;
  processes: { added: string[]; removed: string[]; changed: string[] };
  /** The app's nginx.conf.sigil: added, removed or changed between the two. */
  nginxTemplate?: '+' | '-' | '~';
  /** What the containers ran with: mounts, limits, reservations, docker options, network properties, as `+ mount /a:/b` lines. */
  run: string[];
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
    run: [...diffRunSettings(a.runWith ?? emptyRunSettings(), b.runWith ?? emptyRunSettings()), ...diffLinks(a, b)],
  };
}

/** Linked services: `+ link postgres db as DATABASE`, `- link …`, `~ link … as ALIAS` (after a promote). */
function diffLinks(a: ReleaseData, b: ReleaseData): string[] {
  const from = a.links ?? [];
  const to = b.links ?? [];
  const text = (l: { kind: string; name: string; alias: string }) => `link ${l.kind} ${l.name}${l.alias ? ` as ${l.alias}` : ''}`;
  const out: string[] = [];
  for (const l of to) {
    const was = from.find((x) => x.serviceId === l.serviceId);
    if (!was) out.push(`+ ${text(l)}`);
    else if (was.alias !== l.alias) out.push(`~ ${text(l)}`);
  }
  for (const l of from) if (!to.some((x) => x.serviceId === l.serviceId)) out.push(`- ${text(l)}`);
  return out;
}

const mountText = (m: Mount) => `${m.host}:${m.container}${m.options ? `:${m.options}` : ''}`;

/** One line per mount, resource value, docker option or network property that differs, marked + - ~. */
export function diffRunSettings(a: RunSettings, b: RunSettings): string[] {
  const out: string[] = [];
  const sets = (label: string, from: string[], to: string[], shown = (x: string) => x) => {
    for (const x of to) if (!from.includes(x)) out.push(`+ ${label} ${shown(x)}`);
    for (const x of from) if (!to.includes(x)) out.push(`- ${label} ${shown(x)}`);
  };
  sets('mount', a.mounts.map(mountText), b.mounts.map(mountText));
  const resources = (label: string, from: Record<string, ResourceValues>, to: Record<string, ResourceValues>) => {
    for (const type of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
      const f = from[type] ?? {};
      const t = to[type] ?? {};
      for (const key of [...new Set([...Object.keys(f), ...Object.keys(t)])].sort() as (keyof ResourceValues)[]) {
        if (f[key] === t[key]) continue;
        const mark = f[key] === undefined ? '+' : t[key] === undefined ? '-' : '~';
        out.push(`${mark} ${label} ${type} ${key}${t[key] !== undefined ? `=${t[key]}` : ''}`);
      }
    }
  };
  resources('limit', a.limits, b.limits);
  resources('reserve', a.reservations, b.reservations);
  // Compared as stored, shown as the audit log shows them: an option's -e/--build-arg value is a secret like config's.
  for (const phase of DOCKER_PHASES) sets(`docker-option ${phase}`, a.dockerOptions[phase], b.dockerOptions[phase], maskDockerOption);
  for (const key of Object.keys(b.network) as (keyof RunSettings['network'])[]) {
    if (JSON.stringify(a.network[key]) !== JSON.stringify(b.network[key])) out.push(`~ network ${key}`);
  }
  return out;
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
  for (const line of d.run) lines.push(`       ${line}`);
  if (lines.length === 1) lines.push('       no differences');
  return lines;
}
