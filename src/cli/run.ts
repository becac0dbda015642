import type { CAC } from 'cac';
import { UserError } from '../lib/errors.ts';
import { runOneOffCommand, startDetached } from '../app/one-off.ts';
import { requireApp } from '../state/queries.ts';
import { parsePositiveInt, validateAppName } from '../lib/validate.ts';
import type { Context } from '../app/context.ts';
import { makePipeline } from '../app/wiring.ts';
import { restIsRaw } from './raw-rest.ts';

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

  restIsRaw(
    cli
      .command('run <app> [...command]', 'Run a one-off command in a new container of the current release; every word after the app is its own, and a Procfile process type runs that entry')
      .usage('run <app> <command...>')
      .action(async (name: string, command: string[], opts: Rest) => {
        const app = validateAppName(name);
        const p = await makePipeline(ctx);
        return runOneOffCommand(p, app, [...command, ...(opts['--'] ?? [])], terminal(), ctx.io.err);
      }),
    1,
  );

  restIsRaw(
    cli
      .command('run:detached <app> [...command]', 'Start a one-off command in the background and print its container name (Dokku prints the container id)')
      .usage('run:detached <app> <command...>')
      .action(async (name: string, command: string[], opts: Rest) => {
        const app = validateAppName(name);
        const p = await makePipeline(ctx);
        ctx.io.out(await startDetached(p, app, [...command, ...(opts['--'] ?? [])], ctx.io.err));
      }),
    1,
  );

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
