import { setSetting } from '../app/settings.ts';
import { workDirPrefix } from '../builder/cleanup.ts';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CAC } from 'cac';
import { downloadArchive, hostLocalReason } from '../builder/archive-upload.ts';
import { BuildError } from '../builder/errors.ts';
import { formatBytes } from '../lib/read-capped.ts';
import { copyInputToFile, readInput } from '../lib/stdin.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { deploySource } from '../app/deploy.ts';
import { deployBranchOf, runPreReceive } from '../app/push.ts';
import { listBranches } from '../git/repo.ts';
import { gitRepoPath } from '../lib/settings.ts';
import { requireApp } from '../state/queries.ts';
import { getRelease, loadReleaseState, setting } from '../state/release-queries.ts';
import { printable, validateAppName } from '../lib/validate.ts';
import { appOrGlobal, parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { refuseForeignImage } from '../app/image-access.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { makePipeline } from '../app/wiring.ts';

const IMAGE_REF = /^[a-z0-9][a-z0-9._\/-]{0,200}(:[A-Za-z0-9._-]{1,128})?(@sha256:[a-f0-9]{64})?$/;

/** How long a download of an archive URL may take (what it may weigh is DOKKU_MAX_ARCHIVE_BYTES), and the longest argument. */
const DOWNLOAD_TIMEOUT_MS = 600_000;
const MAX_ARCHIVE_ARG = 4096;
/** git's `old new ref` lines for one push: some 100 bytes a ref. */
const MAX_REF_LINES_BYTES = 16 * 1024 * 1024;

/**
 * The archive as a file on the host: stdin copied to `tmpPath`, a URL downloaded there, or (for
 * admins and local callers only) a file named by its path. A tenant naming a path, or a URL of
 * this server, is refused before anything is read.
 */
async function receiveArchive(ctx: Context, app: string, given: string, tmpPath: string): Promise<string> {
  const max = ctx.settings.maxArchiveBytes;
  if (given.length > MAX_ARCHIVE_ARG) throw new UserError(`The archive argument is longer than ${MAX_ARCHIVE_ARG} characters`);
  if (given === '-') {
    if (ctx.io.stdinIsTTY) throw new UserError('Pipe a tar archive into stdin, or give a file path');
    const bytes = await copyInputToFile(ctx.io.stdin, tmpPath, { maxBytes: max, tooLarge: () => new BuildError('source', `The archive on stdin is larger than ${formatBytes(max)} (DOKKU_MAX_ARCHIVE_BYTES)`) });
    if (bytes === 0) throw new UserError('The archive on stdin is empty: nothing was sent');
    return tmpPath;
  }
  if (/^https?:\/\//i.test(given)) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UserError(`Invalid archive URL '${printable(given.slice(0, 200))}'`);
    }
    if (ctx.tenant) {
      const local = await hostLocalReason(url);
      if (local) await forbidTenant(ctx, 'git:from-archive', local, app);
    }
    const bytes = await downloadArchive(url, tmpPath, { maxBytes: max, timeoutMs: DOWNLOAD_TIMEOUT_MS, noRedirects: Boolean(ctx.tenant) });
    if (bytes === 0) throw new UserError(`The archive at ${url.protocol}//${url.host}${url.pathname} is empty`);
    return tmpPath;
  }
  await forbidTenant(ctx, 'git:from-archive', 'a path on the server may not be named: send the archive on stdin (-) or give an http(s) URL', app);
  const path = resolve(given);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`Archive ${printable(given)} does not exist`);
  }
  if (stat.isDirectory()) throw new UserError(`${printable(given)} is a directory: give a tar or tar.gz file, or - to read one from stdin`);
  if (!stat.isFile()) throw new UserError(`${printable(given)} is not a regular file: give a tar or tar.gz file, or - to read one from stdin`);
  return path;
}

export function registerGit(cli: CAC, ctx: Context): void {
  cli
    .command('git:from-archive <app> [archive]', 'Deploy from a tar or tar.gz: a file, - for stdin (the default), or an http(s) URL')
    .action(async (name: string, archive: string | undefined) => {
      const app = validateAppName(name);
      const given = archive ?? '-';
      const tmp = mkdtempSync(join(tmpdir(), workDirPrefix(app, 'archive')));
      try {
        const path = await receiveArchive(ctx, app, given, join(tmp, 'source.tar'));
        const { scanSource } = await import('../builder/source.ts');
        const scanned = await scanSource(path, { maxBytes: ctx.settings.maxArchiveBytes });
        const { remoteAdds } = await import('../builder/dockerfile.ts');
        const remote = scanned.files.includes('Dockerfile') ? remoteAdds(scanned.buildFiles.Dockerfile ?? '') : [];
        if (remote.length > 0) await forbidTenant(ctx, 'git:from-archive', `the Dockerfile ADDs a URL (${printable(remote[0]!)}); download it in a RUN step, or add the file to the source`, app);
        const p = await makePipeline(ctx);
        await deploySource(p, requireApp(p.store.db, app), { kind: 'archive', path });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

  cli.command('git:from-image <app> <image>', 'Deploy an existing Docker image without building').action(async (name: string, image: string) => {
    const app = validateAppName(name);
    if (!IMAGE_REF.test(image)) throw new UserError(`Invalid image reference '${printable(image)}'`);
    await refuseForeignImage(ctx, 'git:from-image', app, image);
    const p = await makePipeline(ctx);
    await deploySource(p, requireApp(p.store.db, app), { kind: 'image', image });
  });

  cli
    .command('git-hook <app>', "Run by the app's pre-receive hook: reads git's ref lines on stdin, deploys the deploy branch")
    .action(async (name: string) => {
      const app = validateAppName(name);
      const input = await readInput(ctx.io.stdin, { maxBytes: MAX_REF_LINES_BYTES, what: "git's ref lines on stdin" });
      const { db } = await ctx.store();
      await runPreReceive(ctx, requireApp(db, app), input.toString('utf8'));
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
      await printAppReports(ctx, db, { name, format }, 'git information', async (a) => {
        const repo = gitRepoPath(ctx.settings, a.name);
        const branches = await listBranches(repo);
        const current = loadReleaseState(db, a.id).current;
        const rev = current === undefined ? undefined : getRelease(db, a.id, current)?.sourceSha;
        const fields: ReportFields = [
          ['Git deploy branch', deployBranchOf(db, a.id) ?? ''],
          ['Git global deploy branch', setting(db, '', 'git', 'deploy-branch')],
          ['Git sha', rev ?? ''],
        ];
        const extra: ReportFields = [
          ['Git repo', repo],
          ['Git repo exists', existsSync(repo)],
          ['Git branches', Object.keys(branches).sort().join(' ')],
          ['Git rev', rev ?? ''],
        ];
        return { fields, extra };
      });
    });
}
