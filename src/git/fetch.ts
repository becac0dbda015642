import { UserError } from '../lib/errors.ts';
import { loadExeca } from '../lib/execa.ts';
import type { GitRemote } from '../lib/git-url.ts';
import { deployKeyPath, knownHostsPath } from './host-keys.ts';

/**
 * `git fetch` of one ref of a remote into `refs/heads/<branch>` of the app's bare repository.
 * git may speak only https/http/ssh (protocol.allow), never follows redirects for a tenant, never
 * prompts, and ssh trusts only dokku's known_hosts (git:allow-host) with dokku's deploy key.
 */
export async function fetchInto(repo: string, remote: GitRemote, ref: string, branch: string, opts: { root: string; tenant: boolean }): Promise<string> {
  const execa = await loadExeca();
  const ssh = ['ssh', '-i', deployKeyPath(opts.root), '-o', `UserKnownHostsFile=${knownHostsPath(opts.root)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes'].join(' ');
  const config = [
    '-c', 'protocol.allow=never', '-c', 'protocol.https.allow=always', '-c', 'protocol.http.allow=always', '-c', 'protocol.ssh.allow=always',
    '-c', `http.followRedirects=${opts.tenant ? 'false' : 'initial'}`, '-c', 'core.sshCommand=' + ssh,
  ];
  const r = await execa('git', [...config, 'fetch', '--no-tags', '--quiet', '--', remote.url, `+${ref}:refs/heads/${branch}`], {
    cwd: repo,
    reject: false,
    stdin: 'ignore',
    timeout: 600_000,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', GIT_SSH_COMMAND: ssh },
  });
  if (r.exitCode !== 0) throw new UserError(`Could not fetch ${ref} from ${remote.host}: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}`);
  return revParse(repo, `refs/heads/${branch}`) as Promise<string>;
}

export async function revParse(repo: string, ref: string): Promise<string | undefined> {
  const r = await (await loadExeca())('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo, reject: false, stdin: 'ignore' });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** What `git:status` shows of a bare repository: its branches and the commit each is at. */
export async function repoStatus(repo: string): Promise<string> {
  const r = await (await loadExeca())('git', ['for-each-ref', '--format=%(refname:short) %(objectname:short) %(subject)', 'refs/heads'], { cwd: repo, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new UserError(`git failed: ${r.stderr.trim().split('\n')[0]}`);
  return r.stdout.trim();
}
