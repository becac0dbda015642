import { spawn } from 'node:child_process';
import type { Pipeline } from './pipeline.ts';
import type { RetireJob } from '../runtime/docker-local.ts';
import { selfCommand } from '../lib/self.ts';
import type { Context } from './context.ts';
import { setting } from '../state/release-queries.ts';
import { routingProxy } from './routing.ts';
import { pluginTriggers } from './triggers.ts';
import type Docker from 'dockerode';
import type { Settings } from '../lib/settings.ts';
import { ensureRegistry, ensureWatcher } from './swarm-daemons.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { Database } from '../state/db.ts';
import { findApp } from '../state/queries.ts';
import { pushedReference, registryLogin } from '../state/swarm-state.ts';
import { DEFAULT_SCHEDULER, isSchedulerName, type SchedulerName } from '../lib/schedulers.ts';

/**
 * Wires the deploy pipeline to the real Docker engine. Docker-facing modules load here, on first
 * use, so commands that never deploy do not pay for them.
 */
export async function makePipeline(ctx: Context): Promise<Pipeline> {
  const store = await ctx.store();
  const [{ connectDocker }, { acquireDeployLock }] = await Promise.all([
    import('../lib/docker-client.ts'),
    import('../lib/lock.ts'),
  ]);
  const docker = await connectDocker(ctx.settings);
  return {
    store,
    settings: ctx.settings,
    actor: ctx.actor,
    onLine: ctx.io.out,
    lock: (app) => acquireDeployLock(ctx.settings.root, app, ctx.actor, { reentrant: true }),
    proxy: routingProxy({ store, settings: ctx.settings, actor: ctx.actor }),
    triggers: pluginTriggers(ctx.settings, ctx.io.out),
    scheduler: async () => {
      const [{ DockerLocalScheduler }, { schedulerByApp }] = await Promise.all([import('../runtime/docker-local.ts'), import('../runtime/scheduler-by-app.ts')]);
      const local = new DockerLocalScheduler(docker, { retireLater: retireInBackground });
      let swarm: Promise<Scheduler> | undefined;
      return schedulerByApp({
        schedulers: {
          'docker-local': async () => local,
          swarm: () => (swarm ??= swarmScheduler(ctx.settings, store.db, docker)),
        },
        selected: (name) => selectedScheduler(store.db, name),
        pushed: (name, image) => {
          const app = findApp(store.db, name);
          return app ? pushedReference(store.db, app.id, image) : undefined;
        },
      });
    },
    builder: async () => {
      const { dockerBuilder } = await import('../builder/builder.ts');
      return dockerBuilder(docker, ctx.settings, { stackImage: await stackImage(ctx), tenant: ctx.tenant !== undefined });
    },
  };
}

/**
 * Old containers retire after `wait-to-retire` in a detached `dokku ps:retire`, so the deploy
 * returns once traffic has switched. If that process is lost (a reboot), the next deploy retires
 * whatever old containers are left.
 */
function retireInBackground(job: RetireJob): void {
  const [command, ...args] = selfCommand();
  const env = { ...process.env };
  delete env.SSH_ORIGINAL_COMMAND;
  const child = spawn(command!, [...args, 'ps:retire', job.app, '--wait', String(job.waitSeconds), ...job.containerIds], {
    detached: true,
    stdio: 'ignore',
    env,
  });
  child.unref();
}

/** The app's `scheduler:set … selected`, else the global one; an app that is gone: the default. */
export function selectedScheduler(db: Database, name: string): SchedulerName {
  const app = findApp(db, name);
  const value = setting(db, app?.id ?? '', 'scheduler', 'selected');
  return isSchedulerName(value) ? value : DEFAULT_SCHEDULER;
}

/** The swarm scheduler with the registry and credentials `registry:set` and `registry:login` gave. */
async function swarmScheduler(settings: Settings, db: Database, docker: Docker): Promise<Scheduler> {
  const { SwarmScheduler } = await import('../runtime/swarm.ts');
  const server = setting(db, '', 'registry', 'server');
  const login = server ? registryLogin(db, server) : undefined;
  return new SwarmScheduler(docker, {
    // A reboot may have taken them: the embedded registry (if swarm:init made one) and the task follower.
    beforeChange: async () => {
      await ensureRegistry(settings);
      ensureWatcher(settings);
    },
    retireLater: retireInBackground,
    ...(server ? { registry: { server, ...(login ? { auth: { username: login.username, password: login.password } } : {}) } } : {}),
  });
}

/** The stack image builds run on: the global `buildpacks stack` setting, else DOKKU_STACK_IMAGE. */
export async function stackImage(ctx: Context): Promise<string> {
  const { db } = await ctx.store();
  return setting(db, '', 'buildpacks', 'stack') || ctx.settings.stackImage;
}
