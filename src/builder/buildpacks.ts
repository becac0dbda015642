/**
 * Runs buildpacks with Heroku's contract in a build container made from the stack:
 *
 *   /app                the source (BUILD_DIR), owned by the build user
 *   /cache              the app's cache volume, `dokku-cache-<app>` (CACHE_DIR)
 *   /tmp/dokku/env      one file per config var (ENV_DIR)
 *   /tmp/dokku/bp/<n>   the buildpacks
 *
 * detect → compile (each buildpack, in order) → release, as the unprivileged build user, then the
 * container is committed to the image tag asked for. Config values reach the scripts only through
 * exec environments and /tmp/dokku, which is removed before the commit: no secret is baked into
 * the image. The container is always removed.
 */
import type Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ProcessTypes } from '../lib/types.ts';
import { buildContainerName, removeInBackground } from './cleanup.ts';
import { BuildError } from './errors.ts';
import { commitContainer, execCapture } from './exec.ts';
import type { FetchedBuildpack } from './buildpack-fetch.ts';
import { asBuildOutput, step, type OnLine } from '../lib/lines.ts';
import { parseReleaseYaml } from './release-yaml.ts';
import { directoryEntries, rewrittenSource, type SourceLimits } from './source.ts';
import { STACK_USER } from './stack.ts';
import { LABEL } from '../lib/labels.ts';
import { dir, entryBytes, file, TAR_END, type TarEntry } from '../lib/tar.ts';

export const BUILD_PATHS = {
  app: '/app',
  cache: '/cache',
  scratch: '/tmp/dokku',
  env: '/tmp/dokku/env',
  buildpacks: '/tmp/dokku/bp',
  ca: '/tmp/dokku/ca.crt',
  launcher: '/usr/local/bin/run-with-profile',
} as const;

/**
 * The image's entrypoint, Heroku's runtime contract: run in /app with every `.profile.d/*.sh` a
 * buildpack left there sourced first (PATH to the app's Node.js, PYTHONPATH, ...), then the command.
 */
export const LAUNCHER = `#!/bin/sh
cd /app 2>/dev/null || true
for profile in /app/.profile.d/*.sh; do
  [ -r "$profile" ] && . "$profile"
done
unset profile
[ -r /app/.profile ] && . /app/.profile
[ "$#" -gt 0 ] || set -- /bin/sh
exec "$@"
`;

/** Tries each buildpack's bin/detect in order; prints the index and name of the first that matches. */
const DETECT_FIRST = `i=0
for bp in "$@"; do
  if name=$("$bp/bin/detect" /app 2>/dev/null); then printf '%s\\n%s\\n' "$i" "$name"; exit 0; fi
  i=$((i + 1))
done
exit 1`;

/** bin/release's output is data (YAML); the scratch directory goes before the commit. */
const RELEASE_AND_CLEAN = `"$1/bin/release" /app; rc=$?; rm -rf /tmp/dokku; exit $rc`;

export const cacheVolumeName = (app: string): string => `dokku-cache-${app}`;

export interface BuildpackRunInput {
  docker: Docker;
  app: string;
  stackImage: string;
  imageTag: string;
  /** Tar (or tar.gz) of the source. */
  sourceTar: string;
  /** Size limits of the source, as scanSource checked them. */
  limits?: SourceLimits;
  buildpacks: FetchedBuildpack[];
  /** Explicit buildpacks must all accept the app; otherwise the first that detects is used. */
  detect: 'first' | 'all';
  env: Record<string, string>;
  /** Host CA bundle copied in for TLS-intercepting proxies; skipped when the file is missing. */
  caBundle?: string;
  /** The app's Procfile, if any: its web command becomes the image's default command. */
  procfile?: ProcessTypes;
  /** A build still running after this long is stopped (Heroku stops builds at 15 minutes). */
  timeoutSeconds?: number;
  onLine: OnLine;
}

export interface BuildpackRunResult {
  imageId: string;
  /** The buildpacks that ran, as given (`nodejs`, a git URL), comma-separated. */
  buildpack: string;
  defaultProcessTypes: ProcessTypes;
}

/** Environment for every buildpack script: the app's config, then what the platform sets. */
export function buildEnv(config: Record<string, string>, withCa: boolean): Record<string, string> {
  const ca = BUILD_PATHS.ca;
  return {
    ...config,
    HOME: BUILD_PATHS.app,
    STACK: 'dokku-bookworm',
    CI: config.CI ?? 'false',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...(withCa ? { NODE_EXTRA_CA_CERTS: ca, npm_config_cafile: ca, SSL_CERT_FILE: ca, PIP_CERT: ca, GIT_SSL_CAINFO: ca } : {}),
  };
}

/** What the committed image runs with: no config (the runtime injects it), Heroku's layout. */
export function imageConfig(app: string, buildpack: string, processTypes: ProcessTypes, stackEnv: string[]): Record<string, unknown> {
  const path = stackEnv.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const web = processTypes.web?.trim();
  return {
    Entrypoint: [BUILD_PATHS.launcher],
    Cmd: web ? ['/bin/sh', '-c', web] : ['/bin/sh'],
    Env: [`PATH=${path}`, `HOME=${BUILD_PATHS.app}`, 'LANG=C.UTF-8'],
    User: `${STACK_USER.uid}:${STACK_USER.gid}`,
    WorkingDir: BUILD_PATHS.app,
    Labels: { [LABEL.app]: app, [LABEL.builder]: 'herokuish', [LABEL.buildpack]: buildpack },
  };
}

export async function runBuildpacks(input: BuildpackRunInput): Promise<BuildpackRunResult> {
  const { docker, onLine } = input;
  const user = `${STACK_USER.uid}:${STACK_USER.gid}`;
  const withCa = Boolean(input.caBundle && existsSync(input.caBundle));
  const env = buildEnv(input.env, withCa);
  const volume = cacheVolumeName(input.app);
  await docker.createVolume({ Name: volume, Labels: { [LABEL.app]: input.app } });

  const timeout = input.timeoutSeconds ?? 900;
  const container = await docker.createContainer({
    name: buildContainerName(input.app),
    Image: input.stackImage,
    // Kept alive for the build's execs, and no longer than the build may take: one whose creator
    // was killed stops by itself (and the next call on the app removes it, see cleanup.ts).
    Entrypoint: ['sleep'],
    Cmd: [String(timeout + 60)],
    User: 'root',
    WorkingDir: BUILD_PATHS.app,
    Labels: { [LABEL.app]: input.app },
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: BUILD_PATHS.cache }] },
  });
  let committed = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    container.kill().catch(() => {}); // ends the running exec; its step then fails below
  }, timeout * 1000);
  try {
    await container.start();
    const ca = withCa ? readFileSync(input.caBundle!) : undefined;
    await container.putArchive(Readable.from(containerArchive(input.sourceTar, input.buildpacks, input.env, ca, input.limits)) as unknown as NodeJS.ReadableStream, { path: '/' });

    const bpDirs = input.buildpacks.map((_, i) => `${BUILD_PATHS.buildpacks}/${i}`);
    const chosen = await selectBuildpacks(container, input.buildpacks, bpDirs, input.detect, { user, env });

    for (const c of chosen) {
      onLine(step(`${c.name} app detected`));
      const code = await execCapture(container, [`${c.dir}/bin/compile`, BUILD_PATHS.app, BUILD_PATHS.cache, BUILD_PATHS.env], { user, env }, (l) => onLine(asBuildOutput(l)));
      if (timedOut) throw new BuildError('timeout', `The build was stopped after ${timeout} seconds, during the ${c.name} buildpack's compile`);
      if (code.exitCode !== 0) throw new BuildError('compile', `Failed to compile the app with the ${c.name} buildpack (${c.bp.ref.ref}): exit code ${code.exitCode}`);
    }

    onLine(step('Discovering process types'));
    const last = chosen[chosen.length - 1]!;
    const release = await execCapture(container, ['/bin/sh', '-c', RELEASE_AND_CLEAN, 'release', last.dir], { user, env }, (l) => onLine(asBuildOutput(l)), () => {});
    if (release.exitCode !== 0) throw new BuildError('release', `bin/release of ${last.bp.ref.ref} failed with exit code ${release.exitCode}`);
    const defaultProcessTypes = parseReleaseYaml(release.stdout);
    const names = Object.keys(defaultProcessTypes);
    onLine(asBuildOutput(names.length ? `Default types for buildpack -> ${names.join(', ')}` : 'No default process types'));

    const buildpack = chosen.map((c) => c.bp.ref.ref).join(',');
    const stackEnv = (await docker.getImage(input.stackImage).inspect()).Config?.Env ?? [];
    const processTypes = { ...defaultProcessTypes, ...(input.procfile ?? {}) };
    const imageId = await commitContainer(container, input.imageTag, imageConfig(input.app, buildpack, processTypes, stackEnv));
    committed = true;
    return { imageId, buildpack, defaultProcessTypes };
  } catch (err) {
    if (timedOut && !(err instanceof BuildError && err.step === 'timeout')) throw new BuildError('timeout', `The build was stopped after ${timeout} seconds`);
    throw err;
  } finally {
    clearTimeout(timer);
    if (committed) removeInBackground(container);
    else await container.remove({ force: true }).catch(() => {});
  }
}

interface Chosen {
  bp: FetchedBuildpack;
  /** Its directory inside the build container. */
  dir: string;
  /** What its bin/detect printed (`Node.js`), for the output. */
  name: string;
}

/**
 * Heroku's detection: with no buildpack set, the first whose bin/detect accepts the app (one exec
 * for all of them); with buildpacks set, every one must accept it.
 */
async function selectBuildpacks(
  container: Docker.Container,
  buildpacks: FetchedBuildpack[],
  dirs: string[],
  mode: 'first' | 'all',
  opts: { user: string; env: Record<string, string> },
): Promise<Chosen[]> {
  if (mode === 'first') {
    const found = await execCapture(container, ['/bin/sh', '-c', DETECT_FIRST, 'detect', ...dirs], opts, () => {});
    if (found.exitCode !== 0) {
      throw new BuildError('detect', 'Unable to select a buildpack: none of the built-in buildpacks supports this app (add a Procfile, or set one with buildpacks:set)');
    }
    const [index, name] = found.stdout.split('\n');
    const i = Number(index);
    return [{ bp: buildpacks[i]!, dir: dirs[i]!, name: name?.trim() || buildpacks[i]!.ref.ref }];
  }
  const chosen: Chosen[] = [];
  for (const [i, bp] of buildpacks.entries()) {
    const res = await execCapture(container, [`${dirs[i]}/bin/detect`, BUILD_PATHS.app], opts, () => {});
    if (res.exitCode !== 0) throw new BuildError('detect', `App not compatible with buildpack: ${bp.ref.ref}`);
    chosen.push({ bp, dir: dirs[i]!, name: res.stdout.trim().split('\n')[0] || bp.ref.ref });
  }
  return chosen;
}

/**
 * Everything the build container needs, as one archive extracted at `/`: the scratch directory
 * (buildpacks, ENV_DIR, CA bundle), the launcher, the cache mount point and the source under /app,
 * all owned by the build user.
 */
async function* containerArchive(
  sourceTar: string,
  buildpacks: FetchedBuildpack[],
  config: Record<string, string>,
  ca: Buffer | undefined,
  limits: SourceLimits | undefined,
): AsyncGenerator<Buffer> {
  const owner = { uid: STACK_USER.uid, gid: STACK_USER.gid };
  const entries: TarEntry[] = [
    { ...dir('cache', 0o755), ...owner },
    { ...dir('tmp/dokku', 0o700), ...owner },
    { ...dir('tmp/dokku/env', 0o700), ...owner },
    { ...dir('tmp/dokku/bp', 0o755), ...owner },
    ...Object.entries(config).map(([k, v]) => ({ ...file(`tmp/dokku/env/${k}`, v, 0o600), ...owner })),
    ...buildpacks.flatMap((bp, i) => directoryEntries(bp.dir, `tmp/dokku/bp/${i}`, owner)),
    file(BUILD_PATHS.launcher.slice(1), LAUNCHER, 0o755),
  ];
  if (ca) entries.push({ ...file('tmp/dokku/ca.crt', ca, 0o644), ...owner });
  yield Buffer.concat(entries.map(entryBytes));
  yield* rewrittenSource(sourceTar, { prefix: BUILD_PATHS.app.slice(1), owner, ...(limits ? { limits } : {}) });
  yield TAR_END;
}
