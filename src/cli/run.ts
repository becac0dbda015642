import type { CAC } from 'cac';
import { UserError } from '../lib/errors.ts';
import { runOneOffCommand, startDetached } from '../app/one-off.ts';
import { requireApp } from '../state/queries.ts';
import { parseAssignment, parsePositiveInt, printable, validateAppName } from '../lib/validate.ts';
import { UsageError } from '../lib/errors.ts';
import { listApps } from '../state/queries.ts';
import { header, step } from '../lib/output.ts';
import { parseFormat } from './common.ts';
import { oneOffJson, oneOffTable } from './run-list.ts';
import { NoSuchContainerError, type ContainerStatus, type Scheduler } from '../runtime/scheduler.ts';
import type { Context } from '../app/context.ts';
import { makePipeline } from '../app/wiring.ts';
import { restIsRaw } from './raw-rest.ts';

/** At most this many `--env` pairs, each value at most 64 KiB. */
const MAX_ENV = 100;
const MAX_ENV_VALUE = 64 * 1024;

/** `--env A=1 --env B=2` → { A: '1', B: '2' }, each key checked as a config key. */
export function oneOffEnv(given: unknown): Record<string, string> {
  const pairs = given === undefined ? [] : (Array.isArray(given) ? given : [given]).map(String);
  if (pairs.length > MAX_ENV) throw new UserError(`Too many --env values (${pairs.length}, at most ${MAX_ENV})`);
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value] = parseAssignment(pair);
    if (Buffer.byteLength(value) > MAX_ENV_VALUE) throw new UserError(`Value of ${key} is too long (at most 64 KiB)`);
    env[key] = value;
  }
  return env;
}

/** A one-off container name as dokku makes them: `<app>.<type>.<id>`. */
const ONE_OFF_NAME = /^[a-z0-9][a-z0-9-]{0,62}\.[a-z][a-z0-9_-]{0,62}\.[a-z0-9]{1,32}$/;

/** The named container, checked, and only if it is one of the app's own one-offs. */
async function requireOneOff(scheduler: Scheduler, app: string, name: string): Promise<ContainerStatus> {
  if (!ONE_OFF_NAME.test(name) || !name.startsWith(`${app}.`)) throw new UserError(`Invalid container '${printable(name)}': use a name run:list shows for ${app}, e.g. ${app}.run.1a2b3c`);
  const found = (await scheduler.oneOffs(app)).find((c) => c.name === name);
  if (!found) throw new NoSuchContainerError(`No one-off container ${name} of ${app}`);
  return found;
}

export function registerRun(cli: CAC, ctx: Context): void {
  cli
    .command('logs <app>', 'Show the app\'s output')
    .option('-t, --tail', 'Keep following new output')
    .option('-n, --num <lines>', 'Lines per container from the end', { default: 100 })
    .option('-p, --ps <type>', 'Only this process type')
    .action(async (name: string, opts: { tail?: boolean; num: unknown; ps?: string }) => {
      const app = validateAppName(name);
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      const tail = parsePositiveInt('-n', String(opts.num), 100_000);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      await (await p.scheduler()).logs(
        app,
        { follow: Boolean(opts.tail), tail, ...(opts.ps ? { processType: String(opts.ps) } : {}), signal: controller.signal },
        (l) => (l.stream === 'stderr' ? ctx.io.err : ctx.io.out)(`${l.time} app[${l.dyno}]: ${l.text}`),
      );
    });

  const terminal = () => ({
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    tty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  });
  type Rest = { '--'?: string[] };

  type RunOpts = Rest & { env?: unknown };

  restIsRaw(
    cli
      .command('run <app> [...command]', 'Run a one-off command in a new container of the current release; every word after the app is its own, and a Procfile process type runs that entry')
      .usage('run [--env KEY=VALUE]... <app> <command...>')
      .option('-e, --env <pair>', 'Set KEY=VALUE in the container (repeatable, before the app)')
      .action(async (name: string, command: string[], opts: RunOpts) => {
        const app = validateAppName(name);
        const env = oneOffEnv(opts.env);
        const p = await makePipeline(ctx);
        return runOneOffCommand(p, app, [...command, ...(opts['--'] ?? [])], terminal(), ctx.io.err, env);
      }),
    1,
  );

  restIsRaw(
    cli
      .command('run:detached <app> [...command]', 'Start a one-off command in the background and print its container name (Dokku prints the container id)')
      .usage('run:detached [--env KEY=VALUE]... <app> <command...>')
      .option('-e, --env <pair>', 'Set KEY=VALUE in the container (repeatable, before the app)')
      .action(async (name: string, command: string[], opts: RunOpts) => {
        const app = validateAppName(name);
        const env = oneOffEnv(opts.env);
        const p = await makePipeline(ctx);
        ctx.io.out(await startDetached(p, app, [...command, ...(opts['--'] ?? [])], ctx.io.err, env));
      }),
    1,
  );

  cli
    .command('run:list [app]', "List the app's one-off containers (every app's when none is named)")
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const p = await makePipeline(ctx);
      const apps = name === undefined ? listApps(p.store.db) : [requireApp(p.store.db, validateAppName(name))];
      const scheduler = await p.scheduler();
      const found = (await Promise.all(apps.map((a) => scheduler.oneOffs(a.name)))).flat();
      if (format === 'json') {
        ctx.io.out(JSON.stringify(found.map(oneOffJson)));
        return;
      }
      header(ctx.io, `${name ?? 'All apps'} run containers`);
      for (const line of oneOffTable(found, Date.now())) ctx.io.out(line);
    });

  cli
    .command('run:logs <app> [container]', "Show a one-off container's output (every one-off of the app when none is named)")
    .option('-t, --tail', 'Keep following new output')
    .option('-n, --num <lines>', 'Lines per container from the end', { default: 100 })
    .action(async (name: string, container: string | undefined, opts: { tail?: boolean; num: unknown }) => {
      const app = validateAppName(name);
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      const tail = parsePositiveInt('-n', String(opts.num), 100_000);
      const scheduler = await p.scheduler();
      if (container !== undefined) await requireOneOff(scheduler, app, container);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      await scheduler.logs(
        app,
        { follow: Boolean(opts.tail), tail, oneOffs: container === undefined ? {} : { container }, signal: controller.signal },
        (l) => (l.stream === 'stderr' ? ctx.io.err : ctx.io.out)(`${l.time} app[${l.dyno}]: ${l.text}`),
      );
    });

  cli
    .command('run:stop [app] [container]', 'Stop a one-off container of the app, or all of them with --all')
    .usage('run:stop <app> <container>|--all')
    .option('--all', "Every one-off container of the app")
    .action(async (name: string | undefined, container: string | undefined, opts: { all?: boolean }) => {
      const app = validateAppName(name ?? '');
      if (Boolean(opts.all) === (container !== undefined)) throw new UsageError('Give a container name or --all');
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      const scheduler = await p.scheduler();
      const names = container !== undefined ? [(await requireOneOff(scheduler, app, container)).name] : (await scheduler.oneOffs(app)).map((c) => c.name);
      for (const n of names) {
        await scheduler.stopOneOff(app, n);
        ctx.io.out(step(`Stopping ${n}`));
      }
      if (names.length === 0) ctx.io.out(step(`No one-off containers of ${app}`));
    });

  restIsRaw(
    cli
      .command('enter <app> [process] [...command]', 'Open a shell (or run a command) in a running container, e.g. enter myapp web.1')
      .usage('enter <app> [TYPE|TYPE.N] [command...]')
      .action(async (name: string, proc: string | undefined, command: string[], opts: Rest) => {
        const app = validateAppName(name);
        const m = /^([a-z][a-z0-9_-]*)(?:\.(\d+))?$/.exec(proc ?? 'web');
        if (!m) throw new UserError(`Invalid process '${proc}': use TYPE or TYPE.N, e.g. web.1`);
        const p = await makePipeline(ctx);
        requireApp(p.store.db, app);
        const words = [...command, ...(opts['--'] ?? [])];
        return (await p.scheduler()).enter(app, m[1]!, Number(m[2] ?? 1), words.length ? words : ['/bin/sh'], terminal());
      }),
    2,
  );
}
