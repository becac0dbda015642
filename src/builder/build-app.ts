/**
 * The build, source in → image out, as one call for the deploy pipeline:
 *
 *   source (tar, tar.gz or directory) → Procfile, app.json → plan → buildpacks | Dockerfile | nothing
 *
 * A failure the app can cause throws a BuildError saying which step failed; the output streamed
 * through `onLine` holds the details.
 */
import type Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../lib/settings.ts';
import type { AppJson, BuildResult, ProcessTypes } from '../lib/types.ts';
import { printable, validateAppName } from '../lib/validate.ts';
import { parseAppJson } from './app-json.ts';
import { builtinBuildpacksDir, fetchBuildpacks } from './buildpack-fetch.ts';
import { runBuildpacks } from './buildpacks.ts';
import { workDirPrefix } from './cleanup.ts';
import { buildDockerfile, remoteAdds } from './dockerfile.ts';
import type { BuildPart } from '../lib/docker-options.ts';
import { BuildError } from './errors.ts';
import { step, type OnLine } from '../lib/lines.ts';
import { buildPlan } from './plan.ts';
import { parseProcfile } from './procfile.ts';
import { DEFAULT_SOURCE_LIMITS, prepareSource, type BuildFilePaths, type SourceLimits } from './source.ts';
import { ensureStack, imageId } from './stack.ts';

export interface BuildInput {
  docker: Docker;
  settings: Pick<Settings, 'caBundle' | 'stackImage'>;
  app: string;
  /** A tar or tar.gz file, or a directory. */
  source: string;
  /** Tag for the built image, e.g. `dokku/myapp:build-3`. */
  imageTag: string;
  /** `herokuish`, `dockerfile` or `null`; missing or empty detects (Dockerfile → dockerfile). */
  builder?: string | null;
  /** The app's buildpacks (built-in names or git URLs); empty means `.buildpacks`, then detection. */
  buildpacks?: readonly string[];
  /** The app's config: ENV_DIR and the buildpacks' environment (a Dockerfile build gets none). */
  env?: Readonly<Record<string, string>>;
  /** Stack image for buildpack builds; defaults to settings.stackImage. */
  stackImage?: string;
  /** Where the built-in buildpacks are; defaults to builtinBuildpacksDir(). */
  buildpacksDir?: string;
  /** Size limits of the source (default: 2 GiB uncompressed). */
  limits?: SourceLimits;
  /** The Procfile's path in the source (default `Procfile`). */
  procfilePath?: string;
  /** A buildpack build still running after this long is stopped (default 900, as Heroku). */
  timeoutSeconds?: number;
  /**
   * A non-admin key's deploy: only the buildpacks a tenant may name (no paths, no file://), and a
   * Dockerfile may not make the daemon fetch a URL (`ADD https://…`, run on the host's network).
   */
  tenant?: boolean;
  /** Build files a setting moved inside the source (procfile-path, appjson-path, nginx-conf-sigil-path). */
  filePaths?: BuildFilePaths;
  /** Build-phase docker options: build args, labels, shm size and extra hosts of a Dockerfile build. */
  buildOptions?: BuildPart;
  onLine: OnLine;
}

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function buildApp(input: BuildInput): Promise<BuildResult> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 10) / 100;
  const app = validateAppName(input.app);
  const env = { ...(input.env ?? {}) };
  for (const key of Object.keys(env)) {
    if (!CONFIG_KEY.test(key)) throw new BuildError('source', `Invalid config key '${key}' for a build environment`);
  }
  const { onLine } = input;
  const workDir = mkdtempSync(join(tmpdir(), workDirPrefix(app)));
  try {
    const limits = input.limits ?? DEFAULT_SOURCE_LIMITS;
    const source = await prepareSource(input.source, workDir, limits, input.filePaths);
    const template = source.buildFiles['nginx.conf.sigil'];
    const nginx = template !== undefined ? { nginxTemplate: template } : {};
    const procfile: ProcessTypes | undefined = source.buildFiles.Procfile !== undefined ? parseProcfile(source.buildFiles.Procfile) : undefined;
    const appJson: AppJson = source.buildFiles['app.json'] !== undefined ? parseAppJson(source.buildFiles['app.json']) : { healthchecks: {} };
    const plan = buildPlan({
      files: source.files,
      selected: input.builder,
      buildpacks: input.buildpacks,
      ...(appJson.buildpacks?.length ? { appJsonBuildpacks: appJson.buildpacks } : {}),
      buildpacksFile: source.buildFiles['.buildpacks'],
      env,
      tenant: input.tenant ?? false,
    });

    if (plan.builder === 'null') {
      onLine(step(`Builder null selected for ${app}: nothing to build`));
      return { imageId: '', imageTag: '', builder: 'null', processTypes: procfile ?? {}, exposedPorts: [], appJson, ...nginx, seconds: seconds() };
    }

    if (plan.builder === 'dockerfile') {
      // Config is for run time only, as in Dokku: a Dockerfile's build sees none of it.
      const remote = input.tenant ? remoteAdds(source.buildFiles.Dockerfile ?? '') : [];
      if (remote.length > 0) throw new BuildError('dockerfile', `ADD with a URL is not allowed for this key (${printable(remote[0]!)}): download it in a RUN step, or add the file to the source`);
      onLine(step(`Building ${app} from Dockerfile`));
      const built = await buildDockerfile({
        limits,
        needsCommand: procfile?.web === undefined,
        docker: input.docker,
        app,
        sourceTar: source.tarPath,
        ...(source.buildFiles['.dockerignore'] !== undefined ? { dockerignore: source.buildFiles['.dockerignore'] } : {}),
        imageTag: input.imageTag,
        ...(input.buildOptions ? { options: input.buildOptions } : {}),
        onLine,
      });
      // Without a Procfile the web process is the image's own CMD (an empty command).
      const processTypes = procfile ?? { web: '' };
      return { imageId: built.imageId, imageTag: input.imageTag, builder: 'dockerfile', processTypes, exposedPorts: built.exposedPorts, appJson, ...nginx, seconds: seconds() };
    }

    onLine(step(`Building ${app} with buildpacks${plan.from === 'detect' ? '' : ` (from ${plan.from === 'app' ? 'the app settings' : plan.from})`}`));
    const stackImage = input.stackImage || input.settings.stackImage;
    await requireStack(input.docker, stackImage, input.settings, onLine);
    const buildpacks = await fetchBuildpacks(plan.buildpacks, {
      builtinDir: input.buildpacksDir ?? builtinBuildpacksDir(),
      workDir: join(workDir, 'buildpacks'),
      tenant: input.tenant ?? false,
      onLine,
    });
    const run = await runBuildpacks({
      docker: input.docker,
      app,
      stackImage,
      imageTag: input.imageTag,
      sourceTar: source.tarPath,
      limits,
      buildpacks,
      detect: plan.from === 'detect' ? 'first' : 'all',
      env,
      caBundle: input.settings.caBundle,
      procfile,
      ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}),
      onLine,
    });
    // The Procfile wins; a buildpack's defaults fill in the types it does not name (Heroku's rule).
    const processTypes = { ...run.defaultProcessTypes, ...(procfile ?? {}) };
    return {
      imageId: run.imageId,
      imageTag: input.imageTag,
      builder: 'herokuish',
      buildpack: run.buildpack,
      processTypes,
      exposedPorts: [],
      appJson,
      ...nginx,
      seconds: seconds(),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The default stack is built on first use (about a minute, once); another one must exist already. */
async function requireStack(docker: Docker, image: string, settings: Pick<Settings, 'caBundle' | 'stackImage'>, onLine: OnLine): Promise<void> {
  if (await imageId(docker, image)) return;
  if (image !== settings.stackImage) {
    throw new BuildError('stack', `Stack image ${image} does not exist: build it with stack:build, or load it with docker load`);
  }
  onLine(step(`Stack image ${image} is missing: building it now (once)`));
  await ensureStack(docker, { image, onLine, caBundle: settings.caBundle });
}
