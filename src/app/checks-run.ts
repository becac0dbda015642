import { UserError } from '../lib/errors.ts';
import { checkSettingsFrom } from '../lib/check-settings.ts';
import { processTypeProblem } from '../lib/process-type.ts';
import { printable } from '../lib/validate.ts';
import { requireApp } from '../state/queries.ts';
import { getRelease, getSettings, loadReleaseState } from '../state/release-queries.ts';
import { releaseSpec } from './deploy.ts';
import type { Pipeline } from './pipeline.ts';

/** `web` or `web.2`, as `checks:run` takes it. */
export function parseDynoFilter(word: string | undefined): { processType?: string; index?: number } {
  if (word === undefined) return {};
  const m = /^([^.]+)(?:\.(\d{1,4}))?$/.exec(word);
  if (!m) throw new UserError(`Invalid process type '${printable(word)}': use a process type or type.N, e.g. web or web.1`);
  const processType = m[1]!;
  const problem = processTypeProblem(processType);
  if (problem) throw new UserError(problem[0]!.toUpperCase() + problem.slice(1));
  if (m[2] === undefined) return { processType };
  const index = Number(m[2]);
  if (index < 1) throw new UserError(`Invalid process index in '${printable(word)}': containers are numbered from 1`);
  return { processType, index };
}

/**
 * Runs the current release's checks against the app's running containers now. Disabled or
 * skipped checks still run: asking for them is the point of the command. Returns the failures.
 */
export async function runChecksNow(p: Pipeline, name: string, word: string | undefined, onLine: (line: string) => void): Promise<string[]> {
  const only = parseDynoFilter(word);
  const app = requireApp(p.store.db, name);
  const current = loadReleaseState(p.store.db, app.id).current;
  if (current === undefined) throw new UserError(`${name} has not been deployed`);
  const release = releaseSpec(app, getRelease(p.store.db, app.id, current)!);
  if (only.processType !== undefined && !Object.hasOwn(release.processTypes, only.processType)) {
    throw new UserError(`No ${only.processType} process type in v${current} of ${name}`);
  }
  const checks = { ...checkSettingsFrom(getSettings(p.store.db, app.id, 'checks')), enabled: true, skip: false };
  const scheduler = await p.scheduler();
  if (!scheduler.checkRunning) throw new UserError('This scheduler cannot run checks on running containers');
  return scheduler.checkRunning(release, checks, only, onLine);
}
