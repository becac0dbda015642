import type { CAC, Command } from 'cac';
import type { Context } from '../app/context.ts';
import { changeRunSettings } from '../app/run-settings.ts';
import { UsageError } from '../lib/errors.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { resourceValueProblem } from '../lib/resources.ts';
import { DEFAULT_PROCESS_TYPE, RESOURCE_KEYS, type ResourceKey, type ResourceValues } from '../lib/run-settings.ts';
import { processTypeProblem } from '../lib/process-type.ts';
import { UserError } from '../lib/errors.ts';
import { requireApp } from '../state/queries.ts';
import { getRunSettings } from '../state/run-settings.ts';
import { decideResources, type ResourceCommand, type ResourceKind } from '../state/resource-decider.ts';
import { appOrGlobal, parseFormat } from './common.ts';
import { printAppReports } from './report.ts';

type Opts = { global?: boolean; processType?: unknown; restart?: boolean } & Partial<Record<string, unknown>>;

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * `resource:limit|limit-clear|reserve|reserve-clear|report`, per process type or `--global`.
 * Unlike Dokku, where they wait for the next rebuild, a change on a deployed app is released and
 * deployed at once unless `--no-restart` (then the next deploy or ps:restart applies it).
 */
export function registerResource(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  const processTypeOf = (opts: Opts): string => {
    if (opts.processType === undefined) return DEFAULT_PROCESS_TYPE;
    const type = String(opts.processType);
    const problem = processTypeProblem(type);
    if (problem) throw new UserError(`${problem[0]!.toUpperCase()}${problem.slice(1)}`);
    return type;
  };

  const apply = async (name: string | undefined, opts: Opts, command: ResourceCommand, done: string) => {
    const app = appOrGlobal(name, opts.global);
    const events = await changeRunSettings(ctx, app, (doc) => decideResources(command, doc), { restart: opts.restart !== false && app !== undefined });
    io.out(step(events.length ? done : 'Nothing to change'));
  };

  const show = async (name: string | undefined, opts: Opts, kind: ResourceKind) => {
    const app = appOrGlobal(name, opts.global);
    const { db } = await ctx.store();
    const doc = getRunSettings(db, app === undefined ? '' : requireApp(db, app).id);
    const values = (kind === 'limit' ? doc.limits : doc.reservations)[processTypeOf(opts)] ?? {};
    io.out(step(`resource ${kind === 'limit' ? 'limits' : 'reservations'} ${app ?? 'global'} information [processType=${processTypeOf(opts)}]`));
    for (const key of RESOURCE_KEYS) io.out(`       ${`${key}:`.padEnd(14)}${values[key] ?? ''}`);
  };

  const withKeys = (c: Command) => {
    // As strings: the parser would read `1e30` as a number and show it back as 1e+30.
    for (const key of RESOURCE_KEYS) c.option(`--${key} <value>`, key === 'memory' || key === 'memory-swap' ? `${key} (megabytes, or with b, k, m, g)` : key === 'cpu' ? 'CPUs, e.g. 0.5' : key, { type: [String] });
    return c;
  };

  for (const kind of ['limit', 'reserve'] as const) {
    const word = kind === 'limit' ? 'Limit' : 'Reserve';
    withKeys(
      cli
        .command(`resource:${kind} [app]`, `${word} resources for the app (or --global) and process type; without values, show them. A deployed app is released at once unless --no-restart`)
        .usage(`resource:${kind} [--process-type TYPE] [--cpu N] [--memory N] [--memory-swap N] [--pids N] [--nvidia-gpu N] [--no-restart] <app>|--global`)
        .option('--process-type <type>', 'One process type (default: every type without its own)')
        .option('--global', 'The values every app falls back to')
        .option('--no-restart', 'Record them for the next deploy or ps:restart'),
    ).action(async (name: string | undefined, opts: Opts) => {
      const values: ResourceValues = {};
      for (const key of RESOURCE_KEYS) {
        const raw = opts[camel(key)];
        if (raw === undefined) continue;
        const value = String(Array.isArray(raw) ? raw.at(-1) : raw);
        const problem = resourceValueProblem(key as ResourceKey, value);
        if (problem) throw new UserError(problem);
        values[key] = value;
      }
      if (Object.keys(values).length === 0) return show(name, opts, kind);
      const type = processTypeOf(opts);
      await apply(name, opts, { type: 'set', kind, processType: type, values }, `Setting resource ${kind}s for ${name ?? 'every app'} (${type}): ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    });

    cli
      .command(`resource:${kind}-clear [app]`, `Clear the ${kind === 'limit' ? 'limits' : 'reservations'} of the app (or --global): one process type, or all`)
      .option('--process-type <type>', 'Only this process type')
      .option('--global', 'The global values')
      .option('--no-restart', 'Record it for the next deploy or ps:restart')
      .action(async (name: string | undefined, opts: Opts) => {
        const type = opts.processType === undefined ? undefined : processTypeOf(opts);
        await apply(name, opts, { type: 'clear', kind, ...(type !== undefined ? { processType: type } : {}) }, `Cleared resource ${kind}s${type ? ` of ${type}` : ''} for ${name ?? 'every app'}`);
      });
  }

  cli
    .command('resource:report [app]', 'Show resource limits and reservations (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .option('--global', 'The global values')
    .action(async (name: string | undefined, opts: { format?: string; global?: boolean }) => {
      const format = parseFormat(opts.format);
      if (name !== undefined && opts.global) throw new UsageError('Give an app or --global, not both');
      const { db } = await ctx.store();
      const fieldsOf = (scope: string): ReportFields => {
        const doc = getRunSettings(db, scope);
        const types = [...new Set([DEFAULT_PROCESS_TYPE, ...Object.keys(doc.limits), ...Object.keys(doc.reservations)])].sort();
        const fields: ReportFields = [];
        for (const type of types) {
          for (const key of RESOURCE_KEYS) {
            fields.push([`Resource ${type} limit ${key}`, doc.limits[type]?.[key] ?? '']);
            fields.push([`Resource ${type} reserve ${key}`, doc.reservations[type]?.[key] ?? '']);
          }
        }
        return fields;
      };
      await printAppReports(ctx, db, { name, format, ...(opts.global ? { global: fieldsOf('') } : {}) }, 'resource information', (app) => ({ fields: fieldsOf(app.id) }));
    });
}
