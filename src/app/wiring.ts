import { spawn } from 'node:child_process';
import type { Pipeline } from './pipeline.ts';
import type { RetireJob } from '../runtime/docker-local.ts';
import { selfCommand } from '../lib/self.ts';
import type { Context } from './context.ts';
import { setting } from '../state/release-queries.ts';
import { routingProxy } from './routing.ts';
import { pluginTriggers } from './triggers.ts';

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
      const { DockerLocalScheduler } = await import('../runtime/docker-local.ts');
      return new DockerLocalScheduler(docker, { retireLater: retireInBackground });
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

/** The stack image builds run on: the global `buildpacks stack` setting, else DOKKU_STACK_IMAGE. */
export async function stackImage(ctx: Context): Promise<string> {
  const { db } = await ctx.store();
  return setting(db, '', 'buildpacks', 'stack') || ctx.settings.stackImage;
}
