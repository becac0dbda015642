import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { forcedCommandEnv, renderAuthorizedKeys, writeAuthorizedKeys } from '../ssh/authorized-keys.ts';
import { inspectPublicKey } from '../ssh/public-key.ts';
import { selfCommand } from '../lib/self.ts';
import { decideAccess, validateKeyName, type AccessCommand } from '../state/access-decider.ts';
import { listKeys, loadAccessState } from '../state/access-queries.ts';
import { ACCESS_STREAM, firstOf, type StoredEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { parseFormat, toJson } from './common.ts';
import type { Context } from '../app/context.ts';
import { detail, section, step } from '../lib/output.ts';

/** Appends an access command's events (keys, grants) through its decider. */
export async function runAccessCommand(ctx: Context, command: AccessCommand): Promise<StoredEvent[]> {
  const store = await ctx.store();
  return execute(store, ACCESS_STREAM, () => loadAccessState(store.db), (state) => decideAccess(command, state), ctx.actor);
}

/**
 * Renders authorized_keys from the keys in state and replaces the file if it changed. The forced
 * command runs this same program (its absolute path) with this process's settings.
 */
export async function syncAuthorizedKeys(ctx: Context): Promise<boolean> {
  const { db } = await ctx.store();
  const content = renderAuthorizedKeys(listKeys(db), { env: forcedCommandEnv(resolve(ctx.settings.root)), argv: selfCommand() });
  return writeAuthorizedKeys(ctx.settings.authorizedKeys, content);
}

async function readKeyText(ctx: Context, file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (ctx.io.stdinIsTTY) throw new UserError('Give a public key file, or pipe the key into stdin');
  let text = '';
  for await (const chunk of ctx.io.stdin) {
    text += String(chunk);
    if (text.length > 64 * 1024) throw new UserError('That is too long for a public key');
  }
  return text;
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
      io.out(section('SSH keys'));
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
