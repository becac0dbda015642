import { UserError } from '../lib/errors.ts';
import type { ProcessTypes, ReleaseSpec } from '../lib/types.ts';
import type { Terminal } from '../runtime/scheduler.ts';
import { requireApp } from '../state/queries.ts';
import { getRelease, loadReleaseState } from '../state/release-queries.ts';
import { containerOptions, pluginRunOptions, releaseSpec } from './deploy.ts';
import type { Pipeline } from './pipeline.ts';

/**
 * One-off commands (`run`, `run:detached`) from the app's current release. The words are the
 * user's argv for the container, passed to Docker as they are; no shell on this side reads them.
 */

export interface OneOffCommand {
  /** Exec form for the container. */
  command: string[];
  /** The Procfile entry it runs, when the first word named one. */
  processType?: string;
}

/**
 * Dokku's rule: when the first word is a process type of the release's Procfile, that entry's
 * command runs, with the remaining words appended. The entry is shell text written by the app's
 * owner (as the Procfile always is); the appended words reach it as its arguments (`"$@"`), never
 * as more shell text.
 */
export function oneOffCommand(processTypes: ProcessTypes, words: string[]): OneOffCommand {
  const [first, ...args] = requireWords(words);
  const entry = Object.hasOwn(processTypes, first) ? processTypes[first]!.trim() : '';
  if (!entry) return { command: words };
  return { command: ['/bin/sh', '-c', `${entry} "$@"`, first, ...args], processType: first };
}

function requireWords(words: string[]): [string, ...string[]] {
  if (words.length === 0) throw new UserError('Give a command to run, e.g. dokku run myapp node -v');
  return words as [string, ...string[]];
}

/** The note printed when a Procfile entry is run, as Dokku words it. */
export const procfileNote = (processType: string): string => `-----> Found '${processType}' in Procfile, running that command`;

async function currentRelease(p: Pipeline, app: string, words: string[]): Promise<ReleaseSpec> {
  requireWords(words);
  const row = requireApp(p.store.db, app);
  const current = loadReleaseState(p.store.db, row.id).current;
  if (current === undefined) throw new UserError(`${app} has not been deployed`);
  const release = getRelease(p.store.db, row.id, current)!;
  return { ...releaseSpec(row, release, containerOptions(p.store.db, row.id)), ...(await pluginRunOptions(p, row, release)) };
}

/** Runs the words in a new container attached to `terminal`; resolves with the command's exit code. */
export async function runOneOffCommand(p: Pipeline, app: string, words: string[], terminal: Terminal, note: (line: string) => void, env: Record<string, string> = {}): Promise<number> {
  const release = await currentRelease(p, app, words);
  const plan = oneOffCommand(release.processTypes, words);
  if (plan.processType) note(procfileNote(plan.processType));
  return (await p.scheduler()).run(app, release, plan.command, { ...terminal, env });
}

/** Starts the words in a background container; resolves with its name. */
export async function startDetached(p: Pipeline, app: string, words: string[], note: (line: string) => void, env: Record<string, string> = {}): Promise<string> {
  const release = await currentRelease(p, app, words);
  const plan = oneOffCommand(release.processTypes, words);
  if (plan.processType) note(procfileNote(plan.processType));
  return (await p.scheduler()).runDetached(app, release, plan.command, env);
}
