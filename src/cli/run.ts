import type { CAC } from 'cac';
import { UserError } from '../lib/errors.ts';
import { releaseSpec } from '../app/deploy.ts';
import { requireApp } from '../state/queries.ts';
import { getRelease, loadReleaseState } from '../state/release-queries.ts';
import { parsePositiveInt, validateAppName } from '../lib/validate.ts';
import type { Context } from '../app/context.ts';
import { makePipeline } from '../app/wiring.ts';

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

  cli
    .command('run <app> [...command]', 'Run a one-off command in a new container of the current release')
    .action(async (name: string, command: string[], opts: { '--'?: string[] }) => {
      const app = validateAppName(name);
      const words = [...command, ...(opts['--'] ?? [])];
      if (words.length === 0) throw new UserError('Give a command to run, e.g. dokku run myapp -- node -v');
      const p = await makePipeline(ctx);
      const row = requireApp(p.store.db, app);
      const current = loadReleaseState(p.store.db, row.id).current;
      if (current === undefined) throw new UserError(`${app} has not been deployed`);
      const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      return (await p.scheduler()).run(app, releaseSpec(row, getRelease(p.store.db, row.id, current)!), words, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        tty,
      });
    });

  cli
    .command('enter <app> [process] [...command]', 'Open a shell (or run a command) in a running container, e.g. enter myapp web.1')
    .action(async (name: string, proc: string | undefined, command: string[], opts: { '--'?: string[] }) => {
      const app = validateAppName(name);
      const m = /^([a-z][a-z0-9_-]*)(?:\.(\d+))?$/.exec(proc ?? 'web');
      if (!m) throw new UserError(`Invalid process '${proc}': use TYPE or TYPE.N, e.g. web.1`);
      const p = await makePipeline(ctx);
      requireApp(p.store.db, app);
      const words = [...command, ...(opts['--'] ?? [])];
      const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      return (await p.scheduler()).enter(app, m[1]!, Number(m[2] ?? 1), words.length ? words : ['/bin/sh'], {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        tty,
      });
    });
}
