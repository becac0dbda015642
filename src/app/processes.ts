import { type AppRow } from '../state/queries.ts';
import { defaultFormation } from '../state/release-decider.ts';
import { getFormation, getRelease, getSettings, loadReleaseState } from '../state/release-queries.ts';
import { checkSettingsFrom } from '../state/settings-schema.ts';
import type { Upstream } from '../lib/types.ts';

import { type Pipeline } from './pipeline.ts';
import { lockApp, recoverIfIdle } from './recovery.ts';
import { deployRelease, releaseSpec, switchTraffic } from './deploy.ts';

/** Converges the running containers to the recorded formation, without restarting the others. */
export async function applyScale(p: Pipeline, app: AppRow): Promise<void> {
  const { db } = p.store;
  const state = loadReleaseState(db, app.id);
  if (state.current === undefined || state.stopped) return;
  const release = getRelease(db, app.id, state.current)!;
  const lock = await lockApp(p, app);
  try {
    await (await p.scheduler()).scale({
      app: app.name,
      release: releaseSpec(app, release),
      formation: defaultFormation(release.processTypes, getFormation(db, app.id)),
      checks: checkSettingsFrom(getSettings(db, app.id, 'checks')),
      onLine: p.onLine,
      onSwitch: (upstreams: Upstream[]) => switchTraffic(p, app.id, release.version, upstreams),
    });
  } finally {
    lock.release();
  }
}


/** What ps:restore gives one app: nothing (never deployed, or stopped on purpose), a look, or its release again. */
export type RestorePlan = { kind: 'skip' } | { kind: 'running'; version: number } | { kind: 'restore'; version: number };

/**
 * ps:restore's policy for one app, after recovering a deploy that was killed: an app that was
 * deployed and not stopped should run its current release; if no container of it runs, it is restored.
 */
export async function restorePlan(p: Pipeline, app: AppRow): Promise<RestorePlan> {
  await recoverIfIdle(p, app);
  const state = loadReleaseState(p.store.db, app.id);
  if (state.current === undefined || state.stopped) return { kind: 'skip' };
  const running = await (await p.scheduler()).status(app.name);
  const serving = running.some((c) => c.state === 'running' && c.release === state.current && !c.oneOff);
  return { kind: serving ? 'running' : 'restore', version: state.current };
}

/** Deploys the app's current release again, under its deploy lock. */
export async function restoreApp(p: Pipeline, app: AppRow, version: number): Promise<void> {
  const lock = await lockApp(p, app);
  try {
    await deployRelease(p, app, version);
  } finally {
    lock.release();
  }
}
