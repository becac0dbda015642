import type { CAC } from 'cac';
import { rmSync } from 'node:fs';
import type { Context } from '../app/context.ts';
import {
  backupService, cloneService, createService, DEFAULT_KEEP, describeService, destroyService, enterService, exportService, exposeService,
  importService, linkService, promoteService, requireService, restartService, scheduleBackup, serviceLogLines, spoolInput, startService,
  stopService, unexposeService, unlinkService, unscheduleBackup, upgradeService, visibleLinks, type ServiceDescription,
} from '../app/services.ts';
import { UserError } from '../lib/errors.ts';
import { header, renderReport, reportJson, step, type ReportFields } from '../lib/output.ts';
import { SERVICE_KINDS } from '../lib/services/index.ts';
import { validateServiceName, type ServiceKind } from '../lib/services/kind.ts';
import { writeAll } from '../lib/stdout.ts';
import { parsePositiveInt, validateAppName } from '../lib/validate.ts';
import { appLinks, listServices, serviceLinks } from '../state/service-queries.ts';
import { requireApp } from '../state/queries.ts';
import { parseFormat, toJson } from './common.ts';
import { restIsRaw } from './raw-rest.ts';

/**
 * `postgres:*`, `redis:*`: the official plugins' commands, registered once per kind from its
 * definition (lib/services/), so every kind has the same commands, flags and output.
 */
export function registerServices(cli: CAC, ctx: Context): void {
  for (const kind of SERVICE_KINDS) registerKind(cli, ctx, kind);
}

/** `info`'s fields, in Dokku's order; each is also a single-field flag (`--dsn`). */
function infoFields(d: ServiceDescription): ReportFields {
  return [
    ['Config dir', `${d.dir}/config`],
    ['Config options', ''],
    ['Data dir', `${d.dir}/data`],
    ['Dsn', d.dsn],
    ['Exposed ports', d.service.exposed.length ? d.service.exposed.map((p) => `${p}`).join(' ') : '-'],
    ['Id', d.service.id],
    ['Internal ip', d.internalIp],
    ['Links', d.links.join(' ') || '-'],
    ['Service root', d.dir],
    ['Status', d.status],
    ['Version', d.version],
  ];
}

const INFO_FLAGS = ['config-dir', 'config-options', 'data-dir', 'dsn', 'exposed-ports', 'id', 'internal-ip', 'links', 'service-root', 'status', 'version'] as const;

function registerKind(cli: CAC, ctx: Context, kind: ServiceKind): void {
  const { io } = ctx;
  const k = kind.name;
  const say = (line: string) => io.out(line);
  const named = (name: string) => validateServiceName(name);
  const terminal = () => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, tty: Boolean(process.stdin.isTTY && process.stdout.isTTY) });

  const printInfo = (d: ServiceDescription) => {
    for (const line of renderReport(`${d.service.name} ${k} service information`, infoFields(d))) io.out(line);
  };

  cli
    .command(`${k}:create <service>`, `Create a ${kind.title} service (dokku builds its image from Debian's packages; --image names one on this host)`)
    .option('--password <password>', 'The password (default: 32 random hex characters)')
    .option('-i, --image <image>', `Image repository (default ${kind.image.repo})`)
    .option('-I, --image-version <version>', `Image tag (default ${kind.image.version})`)
    .option('-m, --memory <memory>', 'Memory limit, e.g. 512m (bare numbers are megabytes)')
    .option('-s, --shm-size <size>', 'Size of /dev/shm, e.g. 128m')
    .action(async (name: string, opts: { password?: unknown; image?: unknown; imageVersion?: unknown; memory?: unknown; shmSize?: unknown }) => {
      const str = (v: unknown) => (v === undefined ? undefined : String(v));
      const s = await createService(ctx, kind, named(name), {
        ...(opts.password !== undefined ? { password: str(opts.password)! } : {}),
        ...(opts.image !== undefined ? { image: str(opts.image)! } : {}),
        ...(opts.imageVersion !== undefined ? { imageVersion: str(opts.imageVersion)! } : {}),
        ...(opts.memory !== undefined ? { memory: str(opts.memory)! } : {}),
        ...(opts.shmSize !== undefined ? { shmSize: str(opts.shmSize)! } : {}),
      }, say);
      io.out(`=====> ${kind.title} container created: ${s.name}`);
      printInfo(await describeService(ctx, kind, s, { version: true }));
    });

  cli
    .command(`${k}:list`, `List the ${kind.title} services`)
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const store = await ctx.store();
      const rows = await Promise.all(listServices(store.db, k).map((s) => describeService(ctx, kind, s)));
      if (format === 'json') return void io.out(toJson(rows.map((d) => ({ name: d.service.name, version: d.version, status: d.status, exposed_ports: d.service.exposed, links: d.links }))));
      header(io, `${kind.title} services`);
      for (const d of rows) io.out(d.service.name);
    });

  const info = cli
    .command(`${k}:info <service>`, `Show a ${kind.title} service (one field with its flag, e.g. --dsn)`)
    .option('--format <format>', 'text or json');
  for (const f of INFO_FLAGS) info.option(`--${f}`, `Only the ${f.replace(/-/g, ' ')}`);
  info.action(async (name: string, opts: Record<string, unknown>) => {
    const format = parseFormat(opts.format);
    const store = await ctx.store();
    const d = await describeService(ctx, kind, requireService(store, kind, named(name)), { version: true });
    const fields = infoFields(d);
    const wanted = INFO_FLAGS.filter((f) => opts[f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] === true);
    if (wanted.length > 1) throw new UserError(`${k}:info allows only a single flag`);
    if (wanted.length === 1) return void io.out(reportJson(fields)[wanted[0]!] ?? '');
    if (format === 'json') return void io.out(toJson(reportJson(fields)));
    printInfo(d);
  });

  cli.command(`${k}:exists <service>`, `Exit 0 when the ${kind.title} service exists, 1 otherwise`).action(async (name: string) => {
    requireService(await ctx.store(), kind, named(name));
    io.out(step(`Service ${name} exists`));
  });

  cli
    .command(`${k}:link <service> <app>`, `Link the service to an app: ${kind.alias}_URL (or <ALIAS>_URL) and ${`DOKKU_${k.toUpperCase()}_<NAME>_URL`} are set, a new release is deployed`)
    .option('-a, --alias <alias>', `The variable's prefix instead of ${kind.alias}`)
    .option('--no-restart', 'Record the link; the next deploy or ps:restart applies it')
    .action(async (name: string, app: string, opts: { alias?: unknown; restart?: boolean }) => {
      await linkService(ctx, kind, named(name), validateAppName(app), { ...(opts.alias !== undefined ? { alias: String(opts.alias) } : {}), noRestart: opts.restart === false }, say);
    });

  cli
    .command(`${k}:unlink <service> <app>`, 'Unlink the service from an app: its variables are unset, a new release is deployed')
    .option('--no-restart', 'Record the unlink; the next deploy or ps:restart applies it')
    .action(async (name: string, app: string, opts: { restart?: boolean }) => {
      await unlinkService(ctx, kind, named(name), validateAppName(app), { noRestart: opts.restart === false }, say);
    });

  cli.command(`${k}:linked <service> <app>`, 'Exit 0 when the service is linked to the app, 1 otherwise').action(async (name: string, app: string) => {
    const store = await ctx.store();
    const s = requireService(store, kind, named(name));
    const row = requireApp(store.db, validateAppName(app));
    if (!serviceLinks(store.db, s.id).some((l) => l.appId === row.id)) throw new UserError(`Service ${name} is not linked to ${row.name}`);
    io.out(step(`Service ${name} is linked to ${row.name}`));
  });

  cli.command(`${k}:links <service>`, 'List the apps the service is linked to').option('--format <format>', 'text or json').action(async (name: string, opts: { format?: string }) => {
    const format = parseFormat(opts.format);
    const store = await ctx.store();
    const links = visibleLinks(ctx, store, requireService(store, kind, named(name)));
    if (format === 'json') return void io.out(toJson(links.map((l) => ({ app: l.app, alias: l.alias }))));
    for (const l of links) io.out(l.app);
  });

  cli.command(`${k}:app-links <app>`, `List the ${kind.title} services linked to an app`).option('--format <format>', 'text or json').action(async (app: string, opts: { format?: string }) => {
    const format = parseFormat(opts.format);
    const store = await ctx.store();
    const links = appLinks(store.db, requireApp(store.db, validateAppName(app)).id).filter((l) => l.kind === k);
    if (format === 'json') return void io.out(toJson(links.map((l) => ({ service: l.name, alias: l.alias }))));
    for (const l of links) io.out(l.name);
  });

  cli.command(`${k}:promote <service> <app>`, `Make the service the app's ${kind.alias}_URL (another service that had it keeps its DOKKU_ variable)`).action(async (name: string, app: string) => {
    await promoteService(ctx, kind, named(name), validateAppName(app), say);
  });

  cli.command(`${k}:connect <service>`, `Open ${kind.title}'s client in the service (ssh -t for a terminal)`).action(async (name: string) => {
    return enterService(ctx, kind, named(name), 'client', terminal());
  });

  restIsRaw(
    cli
      .command(`${k}:enter <service> [...command]`, 'Open a shell (or run a command) in the service container')
      .action(async (name: string, command: string[], opts: { '--'?: string[] }) => enterService(ctx, kind, named(name), [...command, ...(opts['--'] ?? [])], terminal())),
    1,
  );

  cli
    .command(`${k}:logs <service> [num]`, "Show the server's output (the last 100 lines, or NUM)")
    .option('-t, --tail', 'Keep following new output')
    .action(async (name: string, num: string | undefined, opts: { tail?: boolean }) => {
      const tail = num === undefined ? 100 : parsePositiveInt('NUM', String(num), 100_000);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      await serviceLogLines(ctx, kind, named(name), { tail, follow: Boolean(opts.tail), signal: controller.signal }, (time, text, stderr) => (stderr ? io.err : io.out)(`${time} ${text}`));
    });

  cli.command(`${k}:start <service>`, 'Start the service (its container is made again if it is missing)').action(async (name: string) => startService(ctx, kind, named(name), say));
  cli.command(`${k}:stop <service>`, 'Stop the service; it stays down until started').action(async (name: string) => stopService(ctx, kind, named(name), say));
  cli.command(`${k}:restart <service>`, 'Restart the service').action(async (name: string) => restartService(ctx, kind, named(name), say));

  cli
    .command(`${k}:destroy <service>`, 'Remove the service (refused while linked); its data is kept unless --force')
    .option('-f, --force', 'Also remove its data, saying where')
    .action(async (name: string, opts: { force?: boolean }) => destroyService(ctx, kind, named(name), { force: Boolean(opts.force) }, say));

  cli.command(`${k}:export <service>`, `Write a dump of the service on stdout (${kind.dumpFormat})`).action(async (name: string) => {
    named(name);
    if (process.stdout.isTTY) throw new UserError(`Refusing to write the dump to a terminal: redirect stdout (${k}:export ${name} > ${name}.dump)`);
    // Plain writes of fd 1 (lib/stdout.ts): a slow reader holds the dump back instead of filling memory.
    await exportService(ctx, kind, name, (c) => writeAll(1, c));
  });

  cli.command(`${k}:import <service>`, 'Replace the service\'s data with a dump read from stdin').action(async (name: string) => {
    named(name);
    requireService(await ctx.store(), kind, name);
    if (io.stdinIsTTY) throw new UserError(`Pipe a dump into ${k}:import (e.g. ssh dokku@host ${k}:import ${name} < dump)`);
    const file = await spoolInput(ctx, io.stdin);
    try {
      const { bytes } = await importService(ctx, kind, name, file, say);
      say(step(`Imported ${bytes} bytes into ${name}`));
    } finally {
      rmSync(file, { force: true });
    }
  });

  cli
    .command(`${k}:expose <service> [port]`, 'Publish the service on a host port (a free one when none is given)')
    .action(async (name: string, port: string | undefined) => {
      await exposeService(ctx, kind, named(name), port === undefined ? undefined : parsePositiveInt('PORT', String(port), 65535), say);
    });
  cli.command(`${k}:unexpose <service>`, 'Stop publishing the service on the host').action(async (name: string) => unexposeService(ctx, kind, named(name), say));

  cli.command(`${k}:clone <service> <new-service>`, 'Create a new service with a copy of the data').action(async (name: string, to: string) => {
    await cloneService(ctx, kind, named(name), named(to), say);
    say(step(`Copied ${name} to ${to}`));
  });

  cli
    .command(`${k}:upgrade <service>`, 'Run the service under another image version; its data stays')
    .option('-i, --image <image>', 'Image repository')
    .option('-I, --image-version <version>', 'Image tag')
    .action(async (name: string, opts: { image?: unknown; imageVersion?: unknown }) => {
      const image = await upgradeService(ctx, kind, named(name), { ...(opts.image !== undefined ? { image: String(opts.image) } : {}), ...(opts.imageVersion !== undefined ? { imageVersion: String(opts.imageVersion) } : {}) }, say);
      say(step(`Service ${name} runs ${image}`));
    });

  cli.command(`${k}:backup <service>`, `Write a dump into $DOKKU_LIB_ROOT/data/backups/${k}/<service>/ (oldest removed past the schedule's --keep)`).action(async (name: string) => {
    await backupService(ctx, kind, named(name), say);
  });

  cli
    .command(`${k}:backup-schedule <service> <schedule>`, 'Back the service up on a cron schedule, e.g. "0 3 * * *" (Dokku uploads to S3; here the dump stays on this host)')
    .option('--keep <count>', `How many backups to keep (default ${DEFAULT_KEEP})`)
    .action(async (name: string, schedule: string, opts: { keep?: unknown }) => {
      const keep = opts.keep === undefined ? DEFAULT_KEEP : parsePositiveInt('--keep', String(opts.keep), 1000);
      await scheduleBackup(ctx, kind, named(name), schedule, keep);
      say(step(`Backups of ${name} scheduled: ${schedule}, keeping ${keep}`));
    });

  cli.command(`${k}:backup-schedule-cat <service>`, 'Show the crontab line of the service\'s backups').action(async (name: string) => {
    const s = requireService(await ctx.store(), kind, named(name));
    if (!s.backupSchedule) throw new UserError(`Service ${name} has no backup schedule`);
    const { serviceBackupLine } = await import('../app/crontab-sync.ts');
    io.out(serviceBackupLine(ctx.settings, s));
  });

  cli.command(`${k}:backup-unschedule <service>`, 'Stop the scheduled backups').action(async (name: string) => {
    await unscheduleBackup(ctx, kind, named(name));
    say(step(`Backups of ${name} unscheduled`));
  });

}
