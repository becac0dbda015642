import { spawn } from 'node:child_process';
import type { Pipeline } from '../deploy.ts';
import type { RetireJob } from '../runtime/docker-local.ts';
import { selfCommand } from '../ssh/self.ts';
import type { Context } from './context.ts';
import { appUrls, switchTraffic } from '../proxy/routing.ts';

/**
 * Wires the deploy pipeline to the real Docker engine. Docker-facing modules load here, on first
 * use, so commands that never deploy do not pay for them.
 */
export async function makePipeline(ctx: Context): Promise<Pipeline> {
  const store = await ctx.store();
  const [{ connectDocker }, { acquireDeployLock }] = await Promise.all([
    import('../runtime/docker-client.ts'),
    import('../runtime/deploy-lock.ts'),
  ]);
  const docker = await connectDocker(ctx.settings);
  return {
    store,
    settings: ctx.settings,
    actor: ctx.actor,
    onLine: ctx.io.out,
    lock: (app) => acquireDeployLock(ctx.settings.root, app, ctx.actor),
    switchTraffic: (appId, version, upstreams, record) => switchTraffic({ store, settings: ctx.settings, actor: ctx.actor }, appId, version, upstreams, record),
    urlsOf: (app) => appUrls({ store, settings: ctx.settings }, app),
    scheduler: async () => {
      const { DockerLocalScheduler } = await import('../runtime/docker-local.ts');
      return new DockerLocalScheduler(docker, { retireLater: retireInBackground });
    },
    builder: async () => {
      const [{ dockerBuilder }, { stackImage }] = await Promise.all([import('../build/builder.ts'), import('./stack.ts')]);
      return dockerBuilder(docker, ctx.settings, { stackImage: await stackImage(ctx), untrusted: Boolean(ctx.tenant) });
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
