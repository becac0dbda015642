import { UserError } from '../lib/errors.ts';

/**
 * What a push asks for, as values: the `old new ref` lines git hands the pre-receive hook, and
 * which of them deploys. Pushes to other branches are stored and not deployed; with no deploy
 * branch set, the first branch pushed becomes it, as in Dokku.
 */

export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

const LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/;

export const isZeroSha = (sha: string): boolean => /^0+$/.test(sha);

export function parseRefUpdates(input: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of input.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line.trim());
    if (!m) throw new UserError(`Unexpected line from git: '${line.slice(0, 120)}'`);
    updates.push({ old: m[1]!, new: m[2]!, ref: m[3]! });
  }
  return updates;
}

export interface PushPlan {
  /** The deploy branch after this push (undefined when none is set and no branch was pushed). */
  deployBranch?: string;
  /** True when this push made the deploy branch: none was set and this is the first branch pushed. */
  chosen: boolean;
  /** The update of the deploy branch, if this push has one. */
  deploy?: RefUpdate;
  /** Every other update: stored, not deployed. */
  stored: RefUpdate[];
}

export function planPush(updates: RefUpdate[], configured: string | undefined): PushPlan {
  let deployBranch = configured || undefined;
  let chosen = false;
  if (!deployBranch) {
    const first = updates.find((u) => u.ref.startsWith('refs/heads/') && !isZeroSha(u.new));
    if (first) {
      deployBranch = first.ref.slice('refs/heads/'.length);
      chosen = true;
    }
  }
  const deploy = deployBranch === undefined ? undefined : updates.find((u) => u.ref === `refs/heads/${deployBranch}`);
  return { ...(deployBranch ? { deployBranch } : {}), chosen, ...(deploy ? { deploy } : {}), stored: updates.filter((u) => u !== deploy) };
}

/** `refs/heads/x` → `branch x`, `refs/tags/v1` → `tag v1`. */
export function describeRef(ref: string): string {
  if (ref.startsWith('refs/heads/')) return `branch ${ref.slice(11)}`;
  if (ref.startsWith('refs/tags/')) return `tag ${ref.slice(10)}`;
  return ref;
}
