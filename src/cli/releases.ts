import { setSetting } from '../app/settings.ts';
import type { CAC } from 'cac';
import { decideAndDeploy } from '../app/deploy.ts';
import { UserError } from '../lib/errors.ts';
import { requireApp } from '../state/queries.ts';
import { diffReleases, renderDiff } from './release-diff.ts';
import { getRelease, getRuntime, listReleases, setting } from '../state/release-queries.ts';
import { settingKey } from '../state/settings-schema.ts';
import { escapeControls, printable, validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import type { Context } from '../app/context.ts';
import { renderReport, header, step } from '../lib/output.ts';
import { makePipeline } from '../app/wiring.ts';

/** `v12` or `12` → 12. */
export function parseVersion(text: string): number {
  const m = /^v?(\d{1,9})$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new UserError(`Invalid release '${printable(text)}': use vN, e.g. v3`);
  return Number(m[1]);
}

export function registerReleases(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('releases <app>', 'List releases, newest first')
    .option('--format <format>', 'text or json')
    .option('-n, --num <count>', 'Show at most N releases', { default: 20 })
    .action(async (name: string, opts: { format?: string; num: unknown }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const current = getRuntime(db, app.id).current;
      const releases = listReleases(db, app.id, Math.max(1, Number(opts.num) || 20));
      if (format === 'json') {
        io.out(toJson(releases.map((r) => ({
          version: r.version,
          description: r.description,
          actor: r.actor,
          created_at: r.createdAt,
          status: r.status,
          current: r.version === current,
          image: r.image,
          source_sha: r.sourceSha ?? null,
          rollback_of: r.rollbackOf ?? null,
        }))));
        return;
      }
      header(io, `${app.name} Releases`);
      for (const r of releases) {
        const mark = r.version === current ? '*' : ' ';
        io.out(`${mark} ${`v${r.version}`.padEnd(6)} ${escapeControls(r.description).padEnd(30)} ${r.actor.padEnd(12)} ${r.createdAt}  ${r.status}${r.pruned ? ' (image pruned)' : ''}`);
      }
    });

  cli
    .command('releases:info <app> <version>', 'Show one release: image, source, processes, config keys')
    .option('--format <format>', 'text or json')
    .action(async (name: string, version: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const v = parseVersion(version);
      const r = getRelease(db, app.id, v);
      if (!r) throw new UserError(`Release v${v} of ${app.name} does not exist`);
      const current = getRuntime(db, app.id).current === v;
      const fields: Array<[string, string | number | boolean | null]> = [
        ['Version', `v${r.version}`],
        ['Description', r.description],
        ['Status', r.status],
        ['Current', current],
        ['Created at', r.createdAt],
        ['Actor', r.actor],
        ['Image', r.image],
        ['Image tag', r.imageTag],
        ['Image pruned', r.pruned],
        ['Source sha', r.sourceSha ?? ''],
        ['Rollback of', r.rollbackOf ? `v${r.rollbackOf}` : ''],
        ['Processes', Object.keys(r.processTypes).join(' ')],
        ['Config keys', Object.keys(r.env).sort().join(' ')],
      ];
      if (format === 'json') {
        io.out(toJson({ ...Object.fromEntries(fields.map(([k, val]) => [k.toLowerCase().replace(/ /g, '_'), val])), processes: r.processTypes, config_keys: Object.keys(r.env).sort() }));
        return;
      }
      const [, ...rows] = renderReport(`${app.name} release v${r.version}`, fields);
      header(io, `${app.name} release v${r.version}`);
      for (const line of rows) io.out(line);
    });

  cli
    .command('releases:diff <app> <from> <to>', 'Compare two releases: config keys, image, processes, mounts, resources, docker options, networks')
    .option('--format <format>', 'text or json')
    .action(async (name: string, from: string, to: string, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const app = requireApp(db, validateAppName(name));
      const [a, b] = [parseVersion(from), parseVersion(to)];
      const ra = getRelease(db, app.id, a);
      const rb = getRelease(db, app.id, b);
      if (!ra) throw new UserError(`Release v${a} of ${app.name} does not exist`);
      if (!rb) throw new UserError(`Release v${b} of ${app.name} does not exist`);
      const diff = diffReleases(ra, rb);
      if (format === 'json') io.out(toJson(diff));
      else for (const line of renderDiff(a, b, diff)) io.out(line);
    });

  cli
    .command('releases:set <app> <property> [value]', 'Set a releases property: keep-count N (images kept for rollback)')
    .action(async (name: string, property: string, value: string | undefined) => {
      const app = validateAppName(name);
      const changed = await setSetting(ctx, app, 'releases', property, value === undefined || value === '' ? null : value);
      const { db } = await ctx.store();
      const now = setting(db, requireApp(db, app).id, 'releases', settingKey('releases', property));
      io.out(step(changed ? `Set releases ${property} to ${now}` : `releases ${property} is already ${now}`));
    });

  cli
    .command('rollback <app> [version]', 'Roll back to a release (default: the previous successful one) as a new release')
    .action(async (name: string, version: string | undefined) => {
      const app = validateAppName(name);
      const target = version === undefined ? undefined : parseVersion(version);
      const p = await makePipeline(ctx);
      const { deployed } = await decideAndDeploy(p, app, { type: 'release:rollback', ...(target ? { target } : {}) });
      io.out(step(`Rolled back ${app}: now serving v${deployed}`));
    });
}
