/**
 * Which builder runs, and with which buildpacks: pure decisions from the source's file names,
 * the app's settings and its config, so they can be tested without Docker.
 */
import { builderProblem, type BuilderName } from '../lib/builders.ts';
import { BUILTIN_BUILDPACKS, checkBuildpack, tenantBuildpackRefusal, type BuildpackRef } from '../lib/buildpack-ref.ts';
import { BuildError } from './errors.ts';


export { BUILTIN_BUILDPACKS, type BuildpackRef, type BuiltinBuildpack } from '../lib/buildpack-ref.ts';

/**
 * Dokku's rule: an explicit selection wins; otherwise a `Dockerfile` at the root of the source
 * means the dockerfile builder, and anything else goes to buildpacks (herokuish).
 */
export function detectBuilder(files: readonly string[], selected?: string | null): BuilderName {
  if (selected) {
    const problem = builderProblem(selected);
    if (problem) throw new BuildError('source', problem);
    return selected as BuilderName;
  }
  return files.includes('Dockerfile') ? 'dockerfile' : 'herokuish';
}

/**
 * A built-in name (`nodejs`, `heroku/nodejs`) or a git URL with an optional `#branch-or-tag`, as
 * `checkBuildpack` allows; with `tenant`, only what a non-admin key may name.
 */
export function parseBuildpackRef(text: string, opts: { tenant?: boolean } = {}): BuildpackRef {
  const checked = checkBuildpack(text.trim());
  if (!checked.ok) throw new BuildError('buildpack', checked.problem);
  const refusal = opts.tenant ? tenantBuildpackRefusal(checked.ref) : undefined;
  if (refusal) throw new BuildError('buildpack', `Refused ${refusal}`);
  return checked.ref;
}

/** A `.buildpacks` file: one buildpack per line; blank lines and `#` comments are skipped. */
export function parseBuildpacksFile(text: string, opts: { tenant?: boolean } = {}): BuildpackRef[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => parseBuildpackRef(l, opts));
}

export interface PlanInput {
  /** Names at the root of the source. */
  files: readonly string[];
  /** `builder:set <app> selected …`; empty or missing means detect. */
  selected?: string | null;
  /** `buildpacks:set/add` for the app. */
  buildpacks?: readonly string[];
  /** Content of the source's `.buildpacks` file, if any. */
  buildpacksFile?: string;
  /** app.json's `buildpacks[].url`, used when the app has none set. */
  appJsonBuildpacks?: readonly string[];
  /** The app's config; Heroku's `BUILDPACK_URL` names one buildpack. */
  env?: Readonly<Record<string, string>>;
  /** The deploy is a non-admin key's: every buildpack must be one a tenant may name. */
  tenant?: boolean;
}

export type BuildPlan =
  | { builder: 'null' }
  | { builder: 'dockerfile'; dockerfile: string }
  | {
      builder: 'herokuish';
      /** Where the list came from; `detect` tries the built-ins in order and uses the first that matches. */
      from: 'app' | 'BUILDPACK_URL' | 'app.json' | '.buildpacks' | 'detect';
      buildpacks: BuildpackRef[];
    };

/** Precedence as in Dokku: the app's buildpack list, then `BUILDPACK_URL`, then app.json's list, then `.buildpacks`, then detection. */
export function buildPlan(input: PlanInput): BuildPlan {
  const builder = detectBuilder(input.files, input.selected);
  const opts = { tenant: input.tenant ?? false };
  if (builder === 'null') return { builder };
  if (builder === 'dockerfile') {
    if (!input.files.includes('Dockerfile')) throw new BuildError('dockerfile', 'The dockerfile builder is selected but the source has no Dockerfile');
    return { builder, dockerfile: 'Dockerfile' };
  }
  if (input.buildpacks && input.buildpacks.length > 0) {
    return { builder, from: 'app', buildpacks: input.buildpacks.map((b) => parseBuildpackRef(b, opts)) };
  }
  const url = input.env?.BUILDPACK_URL?.trim();
  if (url) return { builder, from: 'BUILDPACK_URL', buildpacks: [parseBuildpackRef(url, opts)] };
  if (input.appJsonBuildpacks && input.appJsonBuildpacks.length > 0) {
    return { builder, from: 'app.json', buildpacks: input.appJsonBuildpacks.map((b) => parseBuildpackRef(b, opts)) };
  }
  if (input.buildpacksFile !== undefined) {
    const list = parseBuildpacksFile(input.buildpacksFile, opts);
    if (list.length > 0) return { builder, from: '.buildpacks', buildpacks: list };
  }
  return { builder, from: 'detect', buildpacks: BUILTIN_BUILDPACKS.map((name) => ({ kind: 'builtin', name, ref: name })) };
}

/**
 * The first built-in buildpack whose `bin/detect` (buildpacks/<name>/bin/detect) would accept a
 * source with these root names, in detection order. Only root files are known here, so the static
 * buildpack's `public/index.html` case is not seen.
 */
const BUILTIN_DETECT_FILES: Record<(typeof BUILTIN_BUILDPACKS)[number], readonly string[]> = {
  nodejs: ['package.json'],
  python: ['requirements.txt', 'setup.py', 'pyproject.toml', 'Pipfile', 'runtime.txt', 'app.py', 'main.py', 'server.py'],
  static: ['.static', 'index.html', 'index.shtml'],
  procfile: ['Procfile'],
};

export function detectBuiltinBuildpack(files: readonly string[]): string | undefined {
  return BUILTIN_BUILDPACKS.find((name) => BUILTIN_DETECT_FILES[name].some((f) => files.includes(f)));
}
