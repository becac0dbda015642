import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appDir, buildLogPath, gitRepoPath, sourcePath } from '../lib/settings.ts';
import { listBuilds, loadReleaseState } from '../state/release-queries.ts';
import type { Context } from './context.ts';
import { deployRelease } from './deploy.ts';
import type { AppReaction, Lifecycle } from './lifecycle.ts';
import { cronLogPath, syncCrontab } from './crontab-sync.ts';
import type { Pipeline } from './pipeline.ts';
import { lockApp } from './recovery.ts';
import { forgetCertificates, rebuildApp, removeRouting } from './routing.ts';
import { makePipeline } from './wiring.ts';
import { leaveAppNetwork } from './service-networks.ts';
import { pluginTriggers } from './triggers.ts';

/**
 * What each adapter does once an app is renamed or destroyed: Dokku's `post-app-rename` and
 * `post-delete` triggers. The seam is `AppReaction` (lifecycle.ts): a name for the failure line and
 * an optional `destroyed(footprint)` / `renamed(app, from)`, called after the event is recorded and
 * under the app's deploy lock; each must be idempotent, since a failure in any of them is reported,
 * the rest still run, and the command run again calls every one of them again.
 * `appReactions` is the one list; it runs top to bottom, so the order is part of the contract: nginx
 * stops routing (or routes the new name) before any container goes, containers go before the
 * images they run, and files last, the app's directory at the very end. A later plugin trigger is
 * one more entry here.
 * Docker is reached only for an app that ever built.
 */
export function appReactions(ctx: Context, pipeline: () => Promise<Pipeline>): AppReaction[] {
  const { settings } = ctx;
  const routing = async () => ({ store: await ctx.store(), settings });
  return [
    {
      name: 'nginx vhost',
      destroyed: async (gone) => removeRouting(await routing(), gone.app),
      renamed: async (app) => {
        await rebuildApp(await routing(), app);
      },
    },
    {
      name: 'containers',
      destroyed: async (gone) => {
        // Linked services leave the app's network first: Docker removes no network with endpoints.
        // (A link made the network of an app that never built; nothing else would remove it.)
        if (gone.linked) for (const name of gone.names) await leaveAppNetwork(settings, name, { remove: !gone.built });
        if (!gone.built) return;
        const scheduler = await (await pipeline()).scheduler();
        for (const name of gone.names) await scheduler.destroy(name);
      },
      renamed: async (app, from) => {
        if (listBuilds((await ctx.store()).db, app.id).length === 0) return;
        const p = await pipeline();
        const scheduler = await p.scheduler();
        // Containers carry the name: the current release starts under the new one before the old go.
        const state = loadReleaseState(p.store.db, app.id);
        if (state.current !== undefined && !state.stopped) {
          const serving = (await scheduler.status(app.name)).some((c) => c.state === 'running' && c.release === state.current && !c.oneOff);
          if (!serving) await deployRelease(p, app, state.current);
        }
        await leaveAppNetwork(settings, from, { remove: false });
        await scheduler.destroy(from);
      },
    },
    {
      name: 'images and build cache',
      destroyed: async (gone) => {
        if (!gone.built) return;
        const builder = await (await pipeline()).builder();
        for (const ref of gone.images) await builder.removeImage(ref).catch(() => undefined);
        // Images and build caches carry the name the app had when they were made.
        for (const name of gone.names) await builder.removeAppArtifacts(name);
      },
    },
    {
      name: 'sources and build logs',
      destroyed: async (gone) => {
        rmSync(sourcePath(settings, gone.app.id), { force: true });
        rmSync(dirname(buildLogPath(settings, gone.app.id, 0)), { recursive: true, force: true });
      },
    },
    {
      name: 'certificate',
      destroyed: async (gone) => forgetCertificates(settings, gone.app.id),
    },
    {
      name: 'git repository',
      destroyed: async (gone) => rmSync(gitRepoPath(settings, gone.app.name), { recursive: true, force: true }),
      // The hook inside is rewritten on the next push.
      renamed: async (app, from) => {
        const old = gitRepoPath(settings, from);
        if (existsSync(old) && !existsSync(gitRepoPath(settings, app.name))) renameSync(old, gitRepoPath(settings, app.name));
      },
    },
    {
      // The crontab is written from state: a destroyed app's tasks are gone from it, a renamed app's run under the new name.
      name: 'cron tasks',
      destroyed: async (gone) => {
        await syncCrontab(await ctx.store(), settings);
        rmSync(cronLogPath(settings, gone.app.id), { force: true });
      },
      renamed: async () => syncCrontab(await ctx.store(), settings),
    },
    {
      // Dokku's post-delete and post-app-rename, for every enabled plugin that has them.
      name: 'plugins',
      destroyed: async (gone) => {
        await pluginTriggers(settings, ctx.io.out).fire('post-delete', [gone.app.name]);
      },
      renamed: async (app, from) => {
        await pluginTriggers(settings, ctx.io.out).fire('post-app-rename', [from, app.name]);
      },
    },
    {
      // Last, as Dokku removes $DOKKU_ROOT/<app>: whatever the others left there, and the deploy
      // lock file with it (every reaction has run; its release tolerates the file being gone).
      name: 'app directory',
      destroyed: async (gone) => rmSync(appDir(settings, gone.app.name), { recursive: true, force: true }),
    },
  ];
}

/** One file per app whose cleanup failed, naming what failed; gone once a run clears everything. */
function unfinishedFiles(dir: string): Lifecycle['unfinished'] {
  const path = (appId: string) => join(dir, appId);
  return {
    has: (appId) => existsSync(path(appId)),
    set(appId, failed) {
      if (failed.length === 0) return rmSync(path(appId), { force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(path(appId), `${failed.join('\n')}\n`);
    },
  };
}

/** The real lifecycle: Docker connected on first need, the deploy lock taken only for an app that built. */
export async function lifecycleOf(ctx: Context): Promise<Lifecycle> {
  let made: Promise<Pipeline> | undefined;
  const pipeline = () => (made ??= makePipeline(ctx));
  return {
    store: await ctx.store(),
    actor: ctx.actor,
    reactions: appReactions(ctx, pipeline),
    lock: async (app, name) => {
      // Nothing of an app that never built can be deploying.
      if (!app.built) return { release() {} };
      const p = await pipeline();
      // On its own name the lock also clears up after a deploy that was killed.
      return name === app.app.name ? lockApp(p, app.app) : p.lock(name);
    },
    unfinished: unfinishedFiles(join(ctx.settings.root, '.cleanup')),
    beforeDestroy: async (name) => {
      await pluginTriggers(ctx.settings, ctx.io.out).fire('pre-delete', [name]);
    },
  };
}
