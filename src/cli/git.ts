import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CAC } from 'cac';
import { UserError } from '../errors.ts';
import { deploySource } from '../deploy.ts';
import { printable, validateAppName } from '../validate.ts';
import type { Context } from './context.ts';
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
    const p = await makePipeline(ctx);
    await deploySource(p, app, { kind: 'image', image });
  });
}
