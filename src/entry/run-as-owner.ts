import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../lib/errors.ts';

/**
 * Run by root on the server (`sudo dokku certs:add …`, as Dokku's guides do), dokku becomes the user
 * that owns DOKKU_ROOT before it touches anything, as Dokku's own entry does with `sudo -u dokku`:
 * otherwise the files root leaves there (a vhost, a certificate, the database's journal) are ones the
 * dokku user, which serves every SSH call, can no longer write. A root-owned DOKKU_ROOT (a test
 * directory, a host without a dokku user) is left as it is.
 */
export interface Identity {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

/** Whom to become: the root directory's owner, when root runs and the owner is someone else. */
export function ownerToBecome(currentUid: number | undefined, owner: { uid: number; gid: number } | undefined, passwd: string): Identity | undefined {
  if (currentUid !== 0 || owner === undefined || owner.uid === 0) return undefined;
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields.length >= 7 && fields[2] === String(owner.uid));
  if (!entry) throw new UserError(`DOKKU_ROOT belongs to uid ${owner.uid}, which has no entry in /etc/passwd; run dokku as that user`);
  return { uid: owner.uid, gid: Number(entry[3]), name: entry[0]!, home: entry[5] || '/' };
}

/** Switches this process to the owner of `root` (groups, then group, then user), or does nothing. */
export function becomeRootOwner(root: string, env: NodeJS.ProcessEnv = process.env): Identity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const stat = statSync(root);
    owner = { uid: stat.uid, gid: stat.gid };
  } catch {
    return undefined; // nothing there yet to keep consistent
  }
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // no passwd file: ownerToBecome says why it cannot switch
  }
  const who = ownerToBecome(process.getuid(), owner, passwd);
  if (!who) return undefined;
  try {
    // Bun's types leave initgroups out; Node and Bun both have it (POSIX only).
    const posix = process as unknown as { initgroups(user: string, group: number): void; setgid(id: number): void; setuid(id: number): void };
    posix.initgroups(who.name, who.gid);
    posix.setgid(who.gid);
    posix.setuid(who.uid);
  } catch (err) {
    throw new UserError(`Cannot run as ${who.name}, the owner of ${root}: ${(err as Error).message}`);
  }
  // As `sudo -H`: the programs dokku starts (git, ssh-keygen) look in the dokku user's home.
  env.HOME = who.home;
  env.USER = who.name;
  env.LOGNAME = who.name;
  return who;
}
