import type { CAC } from 'cac';
import { resolve } from 'node:path';
import type { Context } from '../app/context.ts';
import { exportPlatform } from '../app/backup-export.ts';
import { importPlatform } from '../app/backup-import.ts';
import { UsageError, UserError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { writeAll } from '../lib/stdout.ts';

/**
 * `backup:export [FILE|-]` and `backup:import FILE|-`: the whole platform in one .tar.gz and back
 * (app/backup-*.ts). Admin keys only (ssh/access.ts). With the archive on stdout, the progress lines
 * go to stderr.
 */
export function registerBackup(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('backup:export [file]', 'Write the whole platform to one .tar.gz: the database, repositories, kept sources, certificates, storage entries, service dumps and the images of image apps (FILE, or - for stdout, the default)')
    .option('--force', 'Replace FILE if it exists')
    .action(async (file: string | undefined, opts: { force?: boolean }) => {
      if (file === undefined || file === '-') {
        if (process.stdout.isTTY) throw new UserError('Refusing to write the archive to a terminal: give a FILE, or redirect stdout');
        // Plain writes of fd 1 (lib/stdout.ts), not io.bytes: a slow reader must hold the export back, not fill memory.
        await exportPlatform(ctx, { kind: 'stream', write: (c) => writeAll(1, c) }, io.err);
        return;
      }
      await exportPlatform(ctx, { kind: 'file', path: resolve(file), overwrite: Boolean(opts.force) }, io.out);
    });

  cli
    .command('backup:import [file]', 'Restore a backup:export archive (FILE, or - for stdin, the default) onto an empty DOKKU_ROOT, then start its services and apps again; everything is checked before anything is written')
    .usage('backup:import FILE|- [--force]')
    .option('--force', 'Import over a platform that is not empty (its database is kept aside)')
    .action(async (file: string | undefined, opts: { force?: boolean }) => {
      const fromStdin = file === undefined || file === '-';
      if (fromStdin && io.stdinIsTTY) throw new UsageError('Give the archive as FILE, or on stdin (backup:import - < FILE)');
      const input = fromStdin ? { stdin: io.stdin } : { file: resolve(file) };
      const result = await importPlatform(ctx, input, { force: Boolean(opts.force) }, io.out);
      if (result.failed.length) {
        throw new UserError(`Imported the platform, but ${result.failed.length} of ${result.apps + result.services} could not be brought back: ${result.failed.join(', ')} (see above)`);
      }
      io.out(step(`Imported the platform: ${result.apps} app${result.apps === 1 ? '' : 's'}, ${result.services} service${result.services === 1 ? '' : 's'}`));
    });
}
