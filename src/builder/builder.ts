/**
 * The build layer as the deploy pipeline sees it (`Builder` in port.ts), on a Docker engine.
 */
import type Docker from 'dockerode';
import type { Builder, BuildRequest } from './port.ts';
import type { Settings } from '../lib/settings.ts';
import type { BuildResult } from '../lib/types.ts';
import { buildApp } from './build-app.ts';
import { cacheVolumeName } from './buildpacks.ts';
import { buildFromImage } from './from-image.ts';
import { runPredeploy } from './predeploy.ts';
import { reapBuildContainers, reapWorkDirs } from './cleanup.ts';

/** `tenant`: the builds are a non-admin key's, see BuildInput.tenant. */
export function dockerBuilder(docker: Docker, settings: Settings, opts: { stackImage?: string; tenant?: boolean } = {}): Builder {
  return {
    build(req: BuildRequest): Promise<BuildResult> {
      const { source } = req;
      if (source.kind === 'image') return buildFromImage({ docker, app: req.app, image: source.image, imageTag: req.imageTag, ...(req.filePaths ? { filePaths: req.filePaths } : {}), onLine: req.onLine });
      if (source.kind === 'rebuild') throw new Error('a rebuild must be resolved to a source before it reaches the builder');
      return buildApp({
        docker,
        settings,
        app: req.app,
        source: source.path,
        imageTag: req.imageTag,
        builder: req.builder,
        buildpacks: req.buildpacks,
        env: req.env,
        ...(req.filePaths ? { filePaths: req.filePaths } : {}),
        ...(req.buildOptions ? { buildOptions: req.buildOptions } : {}),
        limits: { maxBytes: settings.maxArchiveBytes },
        ...(opts.stackImage ? { stackImage: opts.stackImage } : {}),
        tenant: opts.tenant ?? false,
        onLine: req.onLine,
      });
    },
    predeploy: (image, command, env, onLine) => runPredeploy(docker, image, command, env, onLine),
    async removeImage(image: string): Promise<void> {
      try {
        await docker.getImage(image).remove();
      } catch (err) {
        // Already gone, or still used by a container (it is removed with that container's release).
        if (![404, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
      }
    },
    async removeLeftovers(app: string, opts: { everyBuild?: boolean } = {}): Promise<string[]> {
      const containers = await reapBuildContainers(docker, { app, everyOfApp: opts.everyBuild ?? false });
      return [...containers, ...reapWorkDirs()];
    },
    async purgeCache(app: string): Promise<void> {
      await docker.getVolume(cacheVolumeName(app)).remove().catch(ignoreMissing);
    },
    async removeAppArtifacts(app: string): Promise<void> {
      const images = await docker.listImages({ filters: { reference: [`dokku/${app}`] } });
      for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(ignoreMissing);
      await docker.getVolume(cacheVolumeName(app)).remove().catch(ignoreMissing);
    },
  };
}

const ignoreMissing = (err: unknown): void => {
  if ((err as { statusCode?: number }).statusCode !== 404) throw err;
};
