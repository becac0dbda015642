import type { Pipeline } from '../deploy.ts';
import type { Context } from './context.ts';

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
  const docker = connectDocker(ctx.settings);
  return {
    store,
    settings: ctx.settings,
    actor: ctx.actor,
    onLine: ctx.io.out,
    lock: (app) => acquireDeployLock(ctx.settings.root, app, ctx.actor),
    scheduler: async () => {
      const { DockerLocalScheduler } = await import('../runtime/docker-local.ts');
      return new DockerLocalScheduler(docker);
    },
    builder: async () => {
      const [{ dockerBuilder }, { stackImage }] = await Promise.all([import('../build/builder.ts'), import('./stack.ts')]);
      return dockerBuilder(docker, ctx.settings, { stackImage: await stackImage(ctx) });
    },
  };
}
