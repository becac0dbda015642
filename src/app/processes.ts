import { UserError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { appStream, type StoredEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { type AppRow } from '../state/queries.ts';
import { decideRelease, defaultFormation, type ReleaseCommand } from '../state/release-decider.ts';
import { getFormation, getRelease, getSettings, loadReleaseState, releaseContext } from '../state/release-queries.ts';

import type { Formation, Upstream } from '../lib/types.ts';
import { checkSettingsFrom } from '../lib/check-settings.ts';

import { type Pipeline } from './pipeline.ts';
import { lockApp, withAppLock, recoverIfIdle } from './recovery.ts';
import { containerOptions, deployRelease, pluginDeployOptions, releaseSpec } from './deploy.ts';
import { rebuildApp } from './routing.ts';

/** Converges the running containers to the recorded formation, without restarting the others. */
export async function applyScale(p: Pipeline, app: AppRow): Promise<void> {
  const { db } = p.store;
  const state = loadReleaseState(db, app.id);
  if (state.current === undefined || state.stopped) return;
  const release = getRelease(db, app.id, state.current)!;
  const lock = await lockApp(p, app);
  try {
    const formation = defaultFormation(release.processTypes, getFormation(db, app.id));
    await (await p.scheduler()).scale({
      app: app.name,
      release: { ...releaseSpec(app, release, containerOptions(p.store.db, app.id)), ...(await pluginDeployOptions(p, app, release, formation)) },
      formation,
      checks: checkSettingsFrom(getSettings(db, app.id, 'checks')),
      onLine: p.onLine,
      onSwitch: (upstreams: Upstream[]) => p.proxy.switch(app, release.version, upstreams),
    });
  } finally {
    lock.release();
  }
}


/*
 * ps:start, ps:stop, ps:restart and ps:scale: each takes the app's lock before it records anything,
 * so what it records is decided on the state no deploy is changing, and what it does to the
 * containers follows at once.
 */

function recordProcesses(p: Pipeline, app: AppRow, command: ReleaseCommand): StoredEvent[] {
  const { db } = p.store;
  return execute(p.store, appStream(app.id), () => loadReleaseState(db, app.id), (s) => decideRelease(command, s, releaseContext(db, app.id)), p.actor);
}

function currentVersion(p: Pipeline, app: AppRow): number {
  const current = loadReleaseState(p.store.db, app.id).current;
  if (current === undefined) throw new UserError(`${app.name} has not been deployed`);
  return current;
}

/** Records that the app runs again and deploys its current release. */
export async function startApp(p: Pipeline, app: AppRow): Promise<void> {
  await withAppLock(p, app, async () => {
    currentVersion(p, app); // refuses an app never deployed before anything is recorded
    p.onLine(step(`Starting ${app.name}`));
    recordProcesses(p, app, { type: 'ps:start' });
    await applyRunSettings(p, app, true);
  });
}

/** Stops the app's containers and records it; nginx then answers 503 instead of failing to reach them. */
export async function stopApp(p: Pipeline, app: AppRow): Promise<void> {
  await withAppLock(p, app, async () => {
    await (await p.scheduler()).stop(app.name);
    recordProcesses(p, app, { type: 'ps:stop' });
    await rebuildApp({ store: p.store, settings: p.settings }, app);
  });
}

/**
 * Deploys the current release again, with zero downtime. Run settings changed since it was made
 * (a mount, a limit) first make a new release of it, so what runs is what the release records.
 */
export async function restartApp(p: Pipeline, app: AppRow): Promise<void> {
  await applyRunSettings(p, app, true);
}

/** Records a release with the app's run settings as they are now, if they changed, and deploys it (or, with `always`, the current one). */
export async function applyRunSettings(p: Pipeline, app: AppRow, always = false): Promise<void> {
  await withAppLock(p, app, async () => {
    const version = currentVersion(p, app);
    const created = recordProcesses(p, app, { type: 'release:run-settings' }).find((e) => e.type === 'ReleaseCreated');
    if (created || always) await deployRelease(p, app, created?.type === 'ReleaseCreated' ? created.data.version : version);
  });
}

/** Records the new formation and, if it changed anything, converges the containers to it. */
export async function scaleApp(p: Pipeline, app: AppRow, formation: Formation, onRecorded: () => void = () => {}): Promise<void> {
  await withAppLock(p, app, async () => {
    const events = recordProcesses(p, app, { type: 'ps:scale', formation });
    onRecorded();
    if (events.length) await applyScale(p, app);
  });
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
  await withAppLock(p, app, () => deployRelease(p, app, version));
}
