import { type AppRow } from '../state/queries.ts';
import { defaultFormation } from '../state/release-decider.ts';
import { getFormation, getRelease, getSettings, loadReleaseState } from '../state/release-queries.ts';
import { checkSettingsFrom } from '../lib/check-settings.ts';
import type { Upstream } from '../lib/types.ts';

import { type Pipeline } from './pipeline.ts';
import { lockApp } from './recovery.ts';
import { releaseSpec, switchTraffic } from './deploy.ts';

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

