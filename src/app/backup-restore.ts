import { existsSync } from 'node:fs';
import { UserError } from '../lib/errors.ts';
import { detail, step } from '../lib/output.ts';
import { serviceKind } from '../lib/services/index.ts';
import { sourcePath } from '../lib/settings.ts';
import { listNetworks } from '../state/network-queries.ts';
import { listApps, type AppRow } from '../state/queries.ts';
import { getRelease, loadReleaseState } from '../state/release-queries.ts';
import { listServices } from '../state/service-queries.ts';
import type { Context } from './context.ts';
import { syncCrontab } from './crontab-sync.ts';
import { deploySource } from './deploy.ts';
import { restoreApp } from './processes.ts';
import { requireDeployBranchCommits } from './push.ts';
import { recoverIfIdle } from './recovery.ts';
import { rebuildAll } from './routing.ts';
import { importService, restoreServices, type Say } from './services.ts';
import { makePipeline } from './wiring.ts';

/**
 * After an import has put the database and files in place: the platform is made to run as its log
 * says. Networks first (service containers join their apps' networks), then saved images are
 * loaded, then services (each container made and started, then its dump put back), then every app
 * (its current release started again when its image is on this host, else built again from its kept
 * source, as `ps:rebuild` builds), then every vhost from state and the crontab. One app or service
 * that cannot come back is one line (as `forEachApp` says it), and the rest still get their turn.
 */

export interface Restorable {
  /** app id → its saved image (`docker save` tar). */
  images: Map<string, string>;
  /** `kind/name` → the service's dump. */
  dumps: Map<string, string>;
}

/** How one app comes back. Pure. */
export type Comeback =
  | { kind: 'not-deployed' }
  /** Stopped on purpose: it stays stopped; `note` when `ps:start` alone could not run it. */
  | { kind: 'stopped'; note?: string }
  /** Its current release's image is here: started again as `ps:restore` would. */
  | { kind: 'restore'; version: number }
  /** Built again from the kept source and deployed, as `ps:rebuild` does (a new release). */
  | { kind: 'rebuild'; version: number }
  | { kind: 'missing'; reason: string };

export function comebackOf(a: { current?: number; stopped: boolean; imagePresent: boolean; hasSource: boolean }): Comeback {
  if (a.current === undefined) return { kind: 'not-deployed' };
  if (a.stopped) {
    if (a.imagePresent) return { kind: 'stopped' };
    return { kind: 'stopped', note: a.hasSource ? 'its image is not on this host: ps:rebuild builds it and starts it' : 'its image is not on this host and no source was kept' };
  }
  if (a.imagePresent) return { kind: 'restore', version: a.current };
  if (a.hasSource) return { kind: 'rebuild', version: a.current };
  return { kind: 'missing', reason: 'its image is not on this Docker host and no source was kept to build it from' };
}

/** A user error (a build or deploy that failed, a dump refused) fails only its app or service; anything else is a fault. */
function message(err: unknown): string {
  if (!(err instanceof UserError)) throw err;
  return err.message.split('\n')[0]!;
}

export async function bringBack(ctx: Context, restorable: Restorable, say: Say): Promise<string[]> {
  const store = await ctx.store();
  const { db } = store;
  const failed: string[] = [];
  const apps = listApps(db);
  const [{ connectDocker }, { ensurePlatformNetworks }, { inspectLocalImage, loadImageArchive }] = await Promise.all([
    import('../lib/docker-client.ts'),
    import('../runtime/platform-containers.ts'),
    import('../builder/from-image.ts'),
  ]);
  const docker = await connectDocker(ctx.settings);
  await ensurePlatformNetworks(docker, apps.map((a) => a.name), listNetworks(db).map((n) => n.name));

  const imageOf = (app: AppRow) => {
    const current = loadReleaseState(db, app.id).current;
    return current === undefined ? undefined : getRelease(db, app.id, current);
  };
  for (const app of apps) {
    const tar = restorable.images.get(app.id);
    const release = imageOf(app);
    if (!tar || !release || (await inspectLocalImage(docker, release.image))) continue;
    say(step(`Loading the image of ${app.name} (${release.imageTag})`));
    try {
      await loadImageArchive(docker, tar);
    } catch (err) {
      say(` !     ${app.name}: ${message(err)}`);
    }
  }

  const services = listServices(db);
  if (services.length) say(step(`Starting ${services.length} service${services.length === 1 ? '' : 's'}`));
  const unstarted = new Set(await restoreServices(ctx, services.map((s) => ({ ...s, stopped: false })), say));
  failed.push(...unstarted);
  for (const s of services) {
    if (unstarted.has(`${s.kind} ${s.name}`)) continue;
    const kind = serviceKind(s.kind);
    const dump = restorable.dumps.get(`${s.kind}/${s.name}`);
    try {
      if (dump) await importService(ctx, kind, s.name, dump, say);
      if (s.stopped) {
        say(detail(`${kind.title} service ${s.name} was stopped: stopping it again`));
        await restoreServices(ctx, [s], say);
      }
    } catch (err) {
      say(` !     ${kind.title} service ${s.name}: ${message(err)}`);
      failed.push(`${s.kind} ${s.name}`);
    }
  }

  const p = await makePipeline(ctx);
  for (const app of apps) {
    try {
      await recoverIfIdle(p, app);
      const state = loadReleaseState(db, app.id);
      const release = imageOf(app);
      const plan = comebackOf({
        ...(state.current !== undefined ? { current: state.current } : {}),
        stopped: state.stopped,
        imagePresent: release !== undefined && (await inspectLocalImage(docker, release.image)) !== undefined,
        hasSource: existsSync(sourcePath(ctx.settings, app.id)),
      });
      switch (plan.kind) {
        case 'not-deployed':
          say(step(`${app.name} was never deployed`));
          break;
        case 'stopped':
          say(step(`${app.name} was stopped: it stays stopped${plan.note ? ` (${plan.note})` : ''}`));
          break;
        case 'restore':
          say(step(`Restoring ${app.name} v${plan.version}`));
          await restoreApp(p, app, plan.version);
          break;
        case 'rebuild':
          say(step(`Rebuilding ${app.name} from its kept source (v${plan.version} was built from it)`));
          await requireDeployBranchCommits(ctx.settings, db, app);
          await deploySource(p, app, { kind: 'rebuild' });
          break;
        case 'missing':
          throw new UserError(`cannot be brought back: ${plan.reason}`);
      }
    } catch (err) {
      say(` !     ${app.name}: ${message(err)}`);
      failed.push(app.name);
    }
  }

  say(step('Writing every vhost from state'));
  try {
    await rebuildAll({ store, settings: ctx.settings });
  } catch (err) {
    say(` !     nginx: ${message(err)}`);
    failed.push('nginx');
  }
  await syncCrontab(store, ctx.settings);
  return failed;
}
