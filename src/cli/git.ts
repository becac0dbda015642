import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../errors.ts';
import { deploySource } from '../deploy.ts';
import { deployBranchOf, runPreReceive } from '../git/hook.ts';
import { listBranches } from '../git/repo.ts';
import { gitRepoPath } from '../settings.ts';
import { listApps, requireApp } from '../state/queries.ts';
import { getSetting, getRelease, loadReleaseState } from '../state/release-queries.ts';
import { printable, validateAppName } from '../validate.ts';
import { appOrGlobal, parseFormat, setSetting, toJson } from './common.ts';
import type { Context } from './context.ts';
import { refuseForeignImage } from './image-access.ts';
import { renderReport, reportJson, step, type ReportFields } from './output.ts';
import { makePipeline } from './pipeline.ts';

const IMAGE_REF = /^[a-z0-9][a-z0-9._\/-]{0,200}(:[A-Za-z0-9._-]{1,128})?(@sha256:[a-f0-9]{64})?$/;

export function registerGit(cli: CAC, ctx: Context): void {
  cli
    .command('git:from-archive <app> [archive]', 'Deploy from a tar or tar.gz file (or - for stdin)')
    .action(async (name: string, archive: string | undefined) => {
      const app = validateAppName(name);
      const p = await makePipeline(ctx);
      let path = archive ?? '-';
      let tmp: string | undefined;
      if (path === '-') {
        if (ctx.io.stdinIsTTY) throw new UserError('Pipe a tar archive into stdin, or give a file path');
        tmp = mkdtempSync(join(tmpdir(), 'dokku-archive-'));
        path = join(tmp, 'source.tar');
        await pipeline(ctx.io.stdin, createWriteStream(path, { mode: 0o600 }));
      } else path = resolve(path);
      try {
        await deploySource(p, app, { kind: 'archive', path });
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });

  cli.command('git:from-image <app> <image>', 'Deploy an existing Docker image without building').action(async (name: string, image: string) => {
    const app = validateAppName(name);
    if (!IMAGE_REF.test(image)) throw new UserError(`Invalid image reference '${printable(image)}'`);
    await refuseForeignImage(ctx, 'git:from-image', app, image);
    const p = await makePipeline(ctx);
    await deploySource(p, app, { kind: 'image', image });
  });

  cli
    .command('git-hook <app>', "Run by the app's pre-receive hook: reads git's ref lines on stdin, deploys the deploy branch")
    .action(async (name: string) => {
      const app = validateAppName(name);
      let input = '';
      for await (const chunk of ctx.io.stdin) input += String(chunk);
      await runPreReceive(ctx, app, input);
    });

  cli
    .command('git:set [...args]', 'Set a git property: <app>|--global deploy-branch [BRANCH] (no value resets it)')
    .option('--global', 'Global property')
    .action(async (args: string[], opts: { global?: boolean }) => {
      const app = appOrGlobal(opts.global ? undefined : args[0], opts.global);
      const [property, value, ...extra] = opts.global ? args : args.slice(1);
      if (!property) throw new UsageError('Missing property name', 'git:set <app>|--global deploy-branch [BRANCH]');
      if (extra.length) throw new UsageError(`Unexpected argument: ${printable(extra[0]!)}`, 'git:set <app>|--global deploy-branch [BRANCH]');
      const changed = await setSetting(ctx, app, 'git', property, value ? value : null);
      ctx.io.out(step(`${changed ? 'Set' : 'Unchanged:'} git ${property}${value ? ` to ${value}` : ' to its default'}${app ? ` for ${app}` : ' globally'}`));
    });

  cli
    .command('git:report [app]', 'Show git information: deploy branch, repository, branches (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const apps = name === undefined ? listApps(db).filter((a) => !ctx.visibleApps || ctx.visibleApps.has(a.id)) : [requireApp(db, validateAppName(name))];
      const reports: Array<{ name: string; fields: ReportFields }> = [];
      for (const a of apps) {
        const repo = gitRepoPath(ctx.settings, a.name);
        const branches = await listBranches(repo);
        const current = loadReleaseState(db, a.id).current;
        const rev = current === undefined ? undefined : getRelease(db, a.id, current)?.sourceSha;
        reports.push({
          name: a.name,
          fields: [
            ['Git deploy branch', deployBranchOf(db, a.id) ?? ''],
            ['Git global deploy branch', getSetting(db, '', 'git', 'deploy-branch', '')],
            ['Git repo', repo],
            ['Git repo exists', existsSync(repo)],
            ['Git branches', Object.keys(branches).sort().join(' ')],
            ['Git rev', rev ?? ''],
          ],
        });
      }
      if (format === 'json') {
        const body = reports.map((r) => reportJson(r.fields));
        ctx.io.out(toJson(name === undefined ? Object.fromEntries(reports.map((r, i) => [r.name, body[i]])) : body[0]));
        return;
      }
      for (const r of reports) for (const line of renderReport(`${r.name} git information`, r.fields)) ctx.io.out(line);
    });
}
