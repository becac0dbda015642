import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { inspectPublicKey } from '../ssh/public-key.ts';
import { validateKeyName, type AccessCommand } from '../state/access-decider.ts';
import { listKeys } from '../state/access-queries.ts';
import { firstOf } from '../state/events.ts';
import { parseFormat, toJson } from './common.ts';
import { readInput } from '../lib/stdin.ts';
import { runAccessCommand, syncAuthorizedKeys } from '../app/keys.ts';
import type { Context } from '../app/context.ts';
import { detail, header, step } from '../lib/output.ts';

async function readKeyText(ctx: Context, file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (ctx.io.stdinIsTTY) throw new UserError('Give a public key file, or pipe the key into stdin');
  const text = await readInput(ctx.io.stdin, { maxBytes: 64 * 1024, tooLarge: () => new UserError('That is too long for a public key') });
  return text.toString('utf8');
}

export function registerSshKeys(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('ssh-keys:add <name> [file]', 'Add a public key (a file, or - / nothing for stdin); the first key added is an admin key')
    .option('--admin', 'The key may run every command on every app, keys and ACLs included')
    .example('  $ cat ~/.ssh/id_ed25519.pub | ssh dokku@host ssh-keys:add alice')
    .action(async (name: string, file: string | undefined, opts: { admin?: boolean }) => {
      validateKeyName(name);
      const key = await inspectPublicKey(await readKeyText(ctx, file));
      const added = firstOf(await runAccessCommand(ctx, { type: 'ssh-keys:add', name, key, admin: Boolean(opts.admin) }), 'SshKeyAdded');
      await syncAuthorizedKeys(ctx);
      const admin = added!.data.admin;
      io.out(step(`Added ${admin ? 'admin key' : 'key'} ${name} (${key.fingerprint})`));
      if (!admin) io.out(detail(`It may use no app yet: acl:add <app> ${name}`));
    });

  cli
    .command('ssh-keys:list', 'List the SSH keys, with their role and apps')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const keys = listKeys((await ctx.store()).db);
      if (format === 'json') {
        io.out(toJson(keys.map((k) => ({ name: k.name, fingerprint: k.fingerprint, type: k.keyType, admin: k.admin, apps: k.apps, added_at: k.addedAt }))));
        return;
      }
      header(io, 'SSH keys');
      const width = Math.max(0, ...keys.map((k) => k.name.length)) + 2;
      for (const k of keys) io.out(`${k.name.padEnd(width)}${k.fingerprint}  ${k.admin ? 'admin' : `apps: ${k.apps.join(' ') || '(none)'}`}`);
    });

  cli
    .command('ssh-keys:remove [name]', 'Remove a key by name, or by --fingerprint')
    .option('--fingerprint <fp>', 'The key\'s SHA256:… fingerprint')
    .action(async (name: string | undefined, opts: { fingerprint?: string }) => {
      if ((name === undefined) === (opts.fingerprint === undefined)) {
        throw new UsageError('Name the key, or give --fingerprint (not both)', 'ssh-keys:remove NAME|--fingerprint FP');
      }
      const command: AccessCommand =
        name !== undefined ? { type: 'ssh-keys:remove', name } : { type: 'ssh-keys:remove', fingerprint: String(opts.fingerprint) };
      const removed = firstOf(await runAccessCommand(ctx, command), 'SshKeyRemoved');
      await syncAuthorizedKeys(ctx);
      const d = removed!.data;
      io.out(step(`Removed key ${d.name} (${d.fingerprint})`));
    });
}
