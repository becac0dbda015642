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
import { parsePositiveInt, printable, validateAppName } from '../lib/validate.ts';
import { appOrGlobal, parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { refuseForeignImage } from '../app/image-access.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { makePipeline } from '../app/wiring.ts';
import { syncApp } from '../app/sync.ts';
import { checkImageArchive } from '../app/load-image.ts';
import { allowedHosts, readPublicKey, validateGitHost } from '../git/host-keys.ts';
import { allowGitHost, createDeployKey } from '../app/git-hosts.ts';
import { repoStatus } from '../git/fetch.ts';
import { readZip, isZip } from '../lib/zip-read.ts';
import { writeTar } from '../lib/tar-write.ts';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';

const ARCHIVE_TYPES = ['tar', 'tar.gz', 'zip'] as const;

function firstBytes(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** A zip (named with --archive-type zip, or recognised by its first bytes) becomes a tar beside it. */
function zipToTar(path: string, tmpDir: string, maxBytes: number, type: string | undefined): string {
  if (type !== 'zip' && !(type === undefined && isZip(firstBytes(path, 4)))) return path;
  const entries = readZip(readFileSync(path), { maxBytes });
  const tar = join(tmpDir, 'from-zip.tar');
  writeFileSync(tar, writeTar(entries), { mode: 0o600 });
  return tar;
}

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
    .command('git:from-archive <app> [archive]', 'Deploy from a tar, tar.gz or zip: a file, - for stdin (the default), or an http(s) URL')
    .option('--archive-type <type>', 'tar, tar.gz or zip (default: recognised from its first bytes)')
    .action(async (name: string, archive: string | undefined, opts: { archiveType?: string }) => {
      const app = validateAppName(name);
      const type = opts.archiveType;
      if (type !== undefined && !(ARCHIVE_TYPES as readonly string[]).includes(String(type))) throw new UsageError(`Invalid --archive-type '${printable(String(type))}': tar, tar.gz or zip`, 'git:from-archive <app> [archive] [--archive-type tar|tar.gz|zip]');
      const given = archive ?? '-';
      const tmp = mkdtempSync(join(tmpdir(), workDirPrefix(app, 'archive')));
      try {
        const path = zipToTar(await receiveArchive(ctx, app, given, join(tmp, 'source.tar')), tmp, ctx.settings.maxArchiveBytes, type);
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
    .command('git:load-image <app> <image>', 'Load a docker save tar from stdin and deploy IMAGE from it (as git:from-image)')
    .action(async (name: string, image: string) => {
      const app = validateAppName(name);
      if (!IMAGE_REF.test(image)) throw new UserError(`Invalid image reference '${printable(image)}'`);
      requireApp((await ctx.store()).db, app);
      if (ctx.io.stdinIsTTY) throw new UserError('Pipe the output of docker save into stdin');
      const tmp = mkdtempSync(join(tmpdir(), workDirPrefix(app, 'archive')));
      try {
        const path = join(tmp, 'image.tar');
        const max = ctx.settings.maxArchiveBytes;
        const bytes = await copyInputToFile(ctx.io.stdin, path, { maxBytes: max, tooLarge: () => new BuildError('source', `The image on stdin is larger than ${formatBytes(max)} (DOKKU_MAX_ARCHIVE_BYTES)`) });
        if (bytes === 0) throw new UserError('The image archive on stdin is empty: nothing was sent');
        await checkImageArchive(ctx, app, image, path);
        const [{ connectDocker }, { loadImageArchive }] = await Promise.all([import('../lib/docker-client.ts'), import('../builder/from-image.ts')]);
        ctx.io.out(step(`Loading image ${image} (${formatBytes(bytes)})`));
        await loadImageArchive(await connectDocker(ctx.settings), path);
        await refuseForeignImage(ctx, 'git:load-image', app, image);
        const p = await makePipeline(ctx);
        await deploySource(p, requireApp(p.store.db, app), { kind: 'image', image });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

  cli
    .command('git:sync <app> <repository> [ref]', 'Fetch REF (default: the remote HEAD) of an https/http/ssh repository into the deploy branch; non-admin keys only from git:allow-host hosts')
    .option('--build', 'Deploy after fetching')
    .option('--build-if-changes', 'Deploy only if the deploy branch moved')
    .action(async (name: string, repository: string, ref: string | undefined, opts: { build?: boolean; buildIfChanges?: boolean }) => {
      const app = validateAppName(name);
      await syncApp(ctx, app, repository, ref, { build: Boolean(opts.build), buildIfChanges: Boolean(opts.buildIfChanges) });
    });

  cli.command('git:status <app>', "Show the branches of the app's repository and the commit each is at (Dokku shows a work tree's status; this repository is bare)").action(async (name: string) => {
    const app = validateAppName(name);
    requireApp((await ctx.store()).db, app);
    const repo = gitRepoPath(ctx.settings, app);
    if (!existsSync(join(repo, 'HEAD'))) throw new UserError(`${app} has no git repository yet: git push or git:sync first`);
    const text = await repoStatus(repo);
    ctx.io.out(text || `${app}: no commits yet`);
  });

  cli.command('git:generate-deploy-key', "Make an ed25519 ssh key for dokku (git:sync from ssh remotes); an existing one is kept").action(async () => {
    await forbidTenant(ctx, 'git:generate-deploy-key', 'an admin command');
    const made = await createDeployKey(ctx);
    ctx.io.out(step(made ? 'Generated a deploy key' : 'A deploy key already exists'));
    ctx.io.out(readPublicKey(ctx.settings.root));
  });

  cli.command('git:public-key', "Print the public half of dokku's deploy key").action(async () => {
    await forbidTenant(ctx, 'git:public-key', 'an admin command');
    ctx.io.out(readPublicKey(ctx.settings.root));
  });

  cli
    .command('git:allow-host [host]', "Add a host's ssh keys to dokku's known_hosts; tenants may git:sync only from these hosts (no host: list them)")
    .option('--port <port>', 'ssh port of the host (default 22)')
    .action(async (host: string | undefined, opts: { port?: string }) => {
      await forbidTenant(ctx, 'git:allow-host', 'an admin command');
      if (host === undefined) {
        for (const h of allowedHosts(ctx.settings.root)) ctx.io.out(h);
        return;
      }
      const valid = validateGitHost(host);
      const port = opts.port === undefined ? undefined : parsePositiveInt('--port', String(opts.port), 65535);
      const added = await allowGitHost(ctx, valid, port);
      ctx.io.out(step(`${valid} added to known_hosts${added === 0 ? ' (its keys were already there)' : ''}`));
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
