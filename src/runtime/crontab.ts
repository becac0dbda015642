import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadExeca } from '../lib/execa.ts';
import { UserError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { replaceCrontabBlock } from '../lib/crontab.ts';

/**
 * The host's cron daemon is the scheduler of cron tasks: this writes this user's crontab (`crontab -`,
 * no shell), replacing only the block of one dokku root. Unchanged text is not written again, so a
 * deploy of an app without tasks never touches the crontab.
 */
export async function installCrontabBlock(root: string, block: string): Promise<boolean> {
  const execa = await loadExeca();
  // One crontab per user, whatever the root: the lock is the user's.
  const lock = join(tmpdir(), `dokku-crontab-${userInfo().uid}.lock`);
  return withLock(lock, { actor: 'a writer of the crontab', pollMs: 50, timeoutMs: 30_000 }, async () => {
    const listed = await execa('crontab', ['-l'], { reject: false });
    if ((listed as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((listed as { message?: string }).message ?? ''))) {
      // No cron on this host: nothing to take out, and a task cannot be scheduled without it.
      if (block === '') return false;
      throw new UserError('The cron daemon is not installed: apt-get install cron, then deploy again');
    }
    // `crontab -l` exits 1 with "no crontab for USER" when there is none yet.
    const existing = listed.exitCode === 0 ? String(listed.stdout) + '\n' : '';
    if (listed.exitCode !== 0 && !/no crontab/i.test(String(listed.stderr))) throw new UserError(`crontab -l failed: ${String(listed.stderr).trim() || `exit ${listed.exitCode}`}`);
    const next = replaceCrontabBlock(existing, root, block);
    if (next.replace(/\n+$/, '') === existing.replace(/\n+$/, '')) return false;
    const wrote = await execa('crontab', ['-'], { input: next, reject: false });
    if (wrote.exitCode !== 0) throw new UserError(`crontab refused the new table: ${String(wrote.stderr).trim()}`);
    return true;
  });
}
