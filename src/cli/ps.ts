import type { CAC } from 'cac';
import { restoreServices } from '../app/services.ts';
import { listServices } from '../state/service-queries.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { deploySource } from '../app/deploy.ts';
import { restartApp, scaleApp, startApp, stopApp, restoreApp, restorePlan } from '../app/processes.ts';
import { recoverIfIdle } from '../app/recovery.ts';
import { listApps, requireApp, type AppRow } from '../state/queries.ts';
import type { Pipeline } from '../app/pipeline.ts';
import { defaultFormation } from '../state/release-decider.ts';
import { getRelease, getRuntime, getSettings, loadReleaseState, setting } from '../state/release-queries.ts';
import { processTypeProblem } from '../lib/process-type.ts';
import { parsePositiveInt, printable, validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { forEachApp } from './each-app.ts';
import { printAppReports } from './report.ts';
import type { Context } from '../app/context.ts';
import { setProperty } from './property-set.ts';
import { detail, header, step, type ReportFields } from '../lib/output.ts';
import { makePipeline } from '../app/wiring.ts';
import { sanitizeInspect } from '../runtime/inspect-sanitize.ts';
import { requireDeployBranchCommits } from '../app/push.ts';

/** `web=2 worker=1` → { web: 2, worker: 1 }. */
export function parseFormation(words: string[]): Record<string, number> {
  if (words.length === 0) throw new UsageError('Give at least one TYPE=QUANTITY, e.g. web=2');
  const out: Record<string, number> = {};
  for (const w of words) {
    const m = /^([^=]*)=(\d{1,3})$/.exec(w);
    if (!m) throw new UserError(`Invalid scale '${printable(w)}': use TYPE=QUANTITY with a process type from the Procfile and 0-100`);
    const invalid = processTypeProblem(m[1]!);
    if (invalid) throw new UserError(`Invalid scale '${printable(w)}': ${invalid}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function partition<T>(items: readonly T[], keep: (item: T) => boolean): [T[], T[]] {
  return [items.filter(keep), items.filter((i) => !keep(i))];
}

export function registerPs(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('ps:scale <app> [...formation]', 'Show or set how many containers of each process type run (web=2 worker=1)').action(
    async (name: string, words: string[]) => {
      const app = validateAppName(name);
      const p = await makePipeline(ctx);
      const row = requireApp(p.store.db, app);
      if (words.length === 0) {
        const state = loadReleaseState(p.store.db, row.id);
        const release = state.current === undefined ? undefined : getRelease(p.store.db, row.id, state.current);
        const formation = release ? defaultFormation(release.processTypes, state.formation) : state.formation;
        header(io, `Scaling for ${app}`);
        io.out('proctype: qty');
        io.out('--------: ---');
        for (const [t, n] of Object.entries(formation)) io.out(`${`${t}:`.padEnd(9)} ${n}`);
        return;
      }
      const formation = parseFormation(words);
      await scaleApp(p, row, formation, () => io.out(step(`Scaling ${app} processes: ${Object.entries(formation).map(([t, n]) => `${t}=${n}`).join(' ')}`)));
    },
  );

  /** `ps:stop <app>` or `ps:stop --all [--parallel N]`: every app (admin keys only, as any command on no one app). */
  const eachOrOne = (verb: string, description: string, act: (p: Pipeline, row: AppRow) => Promise<void>) =>
    cli
      .command(`${verb} [app]`, `${description} (--all: every app)`)
      .usage(`${verb} <app>|--all [--parallel N]`)
      .option('--all', 'Every app')
      .option('--parallel <count>', 'With --all, this many apps at once (1 to 16)')
      .action(async (name: string | undefined, opts: { all?: boolean; parallel?: unknown }) => {
        if (opts.parallel !== undefined && !opts.all) throw new UsageError('--parallel goes with --all');
        const parallel = opts.parallel === undefined ? 1 : parsePositiveInt('--parallel', String(opts.parallel), 16);
        const p = await makePipeline(ctx);
        if (opts.all) {
          if (name !== undefined) throw new UsageError('Give an app or --all, not both');
          // An app never deployed has nothing to start or restart: skipped, not a failure.
          const [deployed, never] = partition(listApps(p.store.db), (a) => loadReleaseState(p.store.db, a.id).current !== undefined);
          for (const a of never) io.out(detail(`${a.name} has not been deployed, skipping`));
          return forEachApp(io, deployed, (a) => a.name, (a) => act(p, a), parallel);
        }
        if (name === undefined) throw new UsageError('Missing app name (or pass --all)');
        await act(p, requireApp(p.store.db, validateAppName(name)));
      });

  eachOrOne('ps:stop', "Stop the app's containers", async (p, row) => {
    await stopApp(p, row);
    io.out(step(`Stopping ${row.name}`));
  });
  eachOrOne('ps:start', "Start the app's containers", (p, row) => startApp(p, row).then(() => undefined));
  eachOrOne('ps:restart', 'Restart the app with zero downtime', (p, row) => restartApp(p, row).then(() => undefined));

  cli
    .command('ps:retire <app> [...containers]', 'Stop and remove old containers of the app (by id) once --wait seconds have passed')
    .option('--wait <seconds>', 'Seconds to let requests in flight finish first', { default: 0 })
    .action(async (name: string, ids: string[], opts: { wait: string | number }) => {
      const app = validateAppName(name);
      const wait = Number(opts.wait);
      if (!Number.isInteger(wait) || wait < 0 || wait > 3600) throw new UserError(`Invalid --wait '${opts.wait}': use whole seconds from 0 to 3600`);
      // A container's full id, or a swarm service's (what the swarm scheduler retires).
      for (const id of ids) if (!/^([0-9a-f]{64}|[0-9a-z]{25})$/.test(id)) throw new UserError(`Invalid container id '${printable(id)}': use a full 64-character id`);
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      await (await p.scheduler()).retireContainers(app, ids, wait, io.out);
    });

  eachOrOne('ps:rebuild', 'Rebuild the app from its current release and deploy it', async (p, row) => {
    await requireDeployBranchCommits(ctx.settings, p.store.db, row);
    await deploySource(p, row, { kind: 'rebuild' });
  });

  cli
    .command('ps:restore', 'Converge every service and app to its recorded state (run at boot)')
    .action(async () => {
      const p = await makePipeline(ctx);
      // Services first: apps' releases reach them when they start.
      const failed = await restoreServices(ctx, listServices(p.store.db).filter((s) => !s.stopped), (l) => io.out(l));
      const code = await forEachApp(io, listApps(p.store.db), (app) => app.name, async (app) => {
        const plan = await restorePlan(p, app);
        if (plan.kind === 'skip') return;
        if (plan.kind === 'running') {
          io.out(step(`${app.name} is running v${plan.version}`));
          return;
        }
        io.out(step(`Restoring ${app.name} v${plan.version}`));
        await restoreApp(p, app, plan.version);
      });
      return failed.length ? 1 : code;
    });

  cli
    .command('ps:inspect <app>', "Docker's description of the app's containers, environment values masked")
    .action(async (name: string) => {
      const app = validateAppName(name);
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      const described = await (await p.scheduler()).inspect(app);
      ctx.io.out(JSON.stringify(described.map(sanitizeInspect), null, 4));
    });

  const psKeys = ['procfile-path', 'restart-policy', 'stop-timeout-seconds'];
  cli
    .command('ps:set [...words]', `Set a process property for <app> (or --global): ${psKeys.join(', ')}; no value resets it (procfile-path: the next build, not git:from-image; the others: the next deploy or restart)`)
    .usage('ps:set <app>|--global <property> [value]')
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => setProperty(ctx, 'ps', words, opts.global));

  cli
    .command('ps:report [app]', 'Show process status')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const p = await makePipeline(ctx);
      const scheduler = await p.scheduler();
      await printAppReports(ctx, p.store.db, { name, format }, 'ps information', async (app) => {
        await recoverIfIdle(p, app);
        const state = loadReleaseState(p.store.db, app.id);
        const containers = (await scheduler.status(app.name)).filter((c) => !c.oneOff);
        const running = containers.filter((c) => c.state === 'running').length;
        // Killed by the kernel for passing its memory limit (resource:limit --memory), as `docker inspect` says.
        const oom = (await scheduler.inspect(app.name))
          .map((i) => i as { Name?: string; State?: { OOMKilled?: boolean; ExitCode?: number } })
          .filter((i) => i.State?.OOMKilled)
          .map((i) => `${(i.Name ?? '').replace(/^\//, '')} (exit ${i.State?.ExitCode ?? 137})`);
        const own = getSettings(p.store.db, app.id, 'ps');
        const fields: ReportFields = [
          ['Deployed', state.current !== undefined],
          ['Processes', containers.length],
          // As Dokku: false when the deployed app.json sets a formation (a deploy applies it).
          ['Ps can scale', Object.keys((state.current !== undefined ? getRelease(p.store.db, app.id, state.current)?.appJson.formation : undefined) ?? {}).length === 0],
          ['Ps computed procfile path', setting(p.store.db, app.id, 'ps', 'procfile-path')],
          ['Ps global procfile path', setting(p.store.db, '', 'ps', 'procfile-path')],
          ['Ps procfile path', own['procfile-path'] ?? ''],
          ['Ps restart policy', setting(p.store.db, app.id, 'ps', 'restart-policy')],
          ['Ps computed stop timeout seconds', setting(p.store.db, app.id, 'ps', 'stop-timeout-seconds')],
          ['Ps global stop timeout seconds', setting(p.store.db, '', 'ps', 'stop-timeout-seconds')],
          ['Ps stop timeout seconds', own['stop-timeout-seconds'] ?? ''],
          ['Ps oom killed', oom.join(', ')],
          ['Restore', !state.stopped],
          ['Running', containers.length > 0 && running === containers.length ? 'true' : running === 0 ? 'false' : 'mixed'],
          ...containers.map((c): [string, string] => [`Status ${c.processType} ${c.index ?? ''}`.trim(), `${c.state} (CID: ${c.id.slice(0, 12)})`]),
        ];
        const extra: ReportFields = [
          ['Current release', state.current === undefined ? '' : `v${state.current}`],
          ['Stopped', state.stopped],
          ['Formation', Object.entries(state.formation).map(([t, n]) => `${t}=${n}`).join(' ')],
          ['Upstreams', getRuntime(p.store.db, app.id).upstreams.map((u) => `${u.host}:${u.port}`).join(' ')],
        ];
        return { fields, extra };
      });
    });
}
