import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { quoteWord } from '../lib/words.ts';
import { validateAppName } from '../lib/validate.ts';
import { loadExeca } from '../lib/execa.ts';

/**
 * The app's bare repository, `$DOKKU_ROOT/<app>.git`, and its pre-receive hook. The hook is one
 * line that runs this program's `git-hook <app>`; its text is rendered from the program's own path,
 * so a moved or upgraded binary is written into every repo on the next push.
 */

/** The path git sends after git-receive-pack/git-upload-pack: `app`, `/app`, `app.git`, `/app.git`. */
export function appFromRepoPath(path: string): string {
  const name = path.replace(/^\//, '').replace(/\.git$/, '');
  if (name.includes('/')) throw new UserError(`Invalid repository '${path.slice(0, 80)}': push to dokku@host:<app>`);
  return validateAppName(name);
}

export function renderPreReceiveHook(program: readonly string[], app: string): string {
  return [
    '#!/bin/sh',
    '# Written by dokku on each push: builds and deploys the deploy branch (dokku git:report).',
    `exec ${[...program, 'git-hook', app].map(quoteWord).join(' ')}`,
    '',
  ].join('\n');
}

/** Makes the bare repository if missing and (re)writes the hook if its text changed. True if made. */
export async function ensureRepo(repo: string, hook: string): Promise<boolean> {
  let created = false;
  if (!existsSync(join(repo, 'HEAD'))) {
    const r = await (await loadExeca())('git', ['init', '--bare', '--quiet', repo], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new Error(`git init --bare ${repo} failed: ${r.stderr}`);
    created = true;
  }
  const path = join(repo, 'hooks', 'pre-receive');
  if (!existsSync(path) || readFileSync(path, 'utf8') !== hook) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, hook, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
  }
  return created;
}

/** Points HEAD at the deploy branch, so a clone checks it out (git runs only when it moves). */
export async function setHead(repo: string, branch: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  if (readFileSync(join(repo, 'HEAD'), 'utf8').trim() === `ref: ${ref}`) return;
  await (await loadExeca())('git', ['symbolic-ref', 'HEAD', ref], { cwd: repo, reject: false, stdin: 'ignore' });
}

/** `refs/heads/*` of the repository: branch → sha. */
export async function listBranches(repo: string): Promise<Record<string, string>> {
  if (!existsSync(join(repo, 'HEAD'))) return {};
  const r = await (await loadExeca())('git', ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads/'], { cwd: repo, reject: false, stdin: 'ignore' });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const [branch, sha] = line.split(' ');
    if (branch && sha) out[branch] = sha;
  }
  return out;
}
