/**
 * Which builder runs, and with which buildpacks: pure decisions from the source's file names,
 * the app's settings and its config, so they can be tested without Docker.
 */
import { printable } from '../validate.ts';
import { BuildError } from './errors.ts';

export type Builder = 'herokuish' | 'dockerfile' | 'null';
export const BUILDERS: readonly Builder[] = ['herokuish', 'dockerfile', 'null'];

/** Built-in buildpacks, in the order auto-detection tries them. `procfile` matches last. */
export const BUILTIN_BUILDPACKS = ['nodejs', 'python', 'static', 'procfile'] as const;
export type BuiltinBuildpack = (typeof BUILTIN_BUILDPACKS)[number];

export type BuildpackRef =
  | { kind: 'builtin'; name: BuiltinBuildpack; ref: string }
  | { kind: 'git'; url: string; commitish?: string; ref: string };

/**
 * Dokku's rule: an explicit selection wins; otherwise a `Dockerfile` at the root of the source
 * means the dockerfile builder, and anything else goes to buildpacks (herokuish).
 */
export function detectBuilder(files: readonly string[], selected?: string | null): Builder {
  if (selected) {
    if (!BUILDERS.includes(selected as Builder)) {
      throw new BuildError('source', `Unknown builder '${printable(selected)}': use one of ${BUILDERS.join(', ')}`);
    }
    return selected as Builder;
  }
  return files.includes('Dockerfile') ? 'dockerfile' : 'herokuish';
}

const GIT_URL = /^(https?:\/\/|git:\/\/|ssh:\/\/|file:\/\/|\/|[\w.-]+@[\w.-]+:)/;

/** A built-in name (`nodejs`, `heroku/nodejs`) or a git URL with an optional `#branch-or-tag`. */
export function parseBuildpackRef(text: string): BuildpackRef {
  const ref = text.trim();
  const name = ref.replace(/^heroku\//, '').replace(/^heroku-buildpack-/, '');
  if ((BUILTIN_BUILDPACKS as readonly string[]).includes(name)) return { kind: 'builtin', name: name as BuiltinBuildpack, ref };
  if (GIT_URL.test(ref) && !/[\s'"`$;&|<>\\]/.test(ref)) {
    const hash = ref.indexOf('#');
    const url = hash === -1 ? ref : ref.slice(0, hash);
    const commitish = hash === -1 ? undefined : ref.slice(hash + 1);
    if (commitish !== undefined && !/^[\w./-]+$/.test(commitish)) {
      throw new BuildError('buildpack', `Invalid buildpack '${printable(ref)}': the part after '#' must be a branch, tag or commit`);
    }
    if (commitish?.startsWith('-') || url.startsWith('-')) throw new BuildError('buildpack', `Invalid buildpack '${printable(ref)}'`);
    return commitish ? { kind: 'git', url, commitish, ref } : { kind: 'git', url, ref };
  }
  throw new BuildError(
    'buildpack',
    `Unknown buildpack '${printable(ref)}': use a built-in one (${BUILTIN_BUILDPACKS.join(', ')}) or a git URL`,
  );
}

/** A `.buildpacks` file: one buildpack per line; blank lines and `#` comments are skipped. */
export function parseBuildpacksFile(text: string): BuildpackRef[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(parseBuildpackRef);
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
  /** The app's config; Heroku's `BUILDPACK_URL` names one buildpack. */
  env?: Readonly<Record<string, string>>;
}

export type BuildPlan =
  | { builder: 'null' }
  | { builder: 'dockerfile'; dockerfile: string }
  | {
      builder: 'herokuish';
      /** Where the list came from; `detect` tries the built-ins in order and uses the first that matches. */
      from: 'app' | 'BUILDPACK_URL' | '.buildpacks' | 'detect';
      buildpacks: BuildpackRef[];
    };

/** Precedence as in Dokku: the app's buildpack list, then `BUILDPACK_URL`, then `.buildpacks`, then detection. */
export function buildPlan(input: PlanInput): BuildPlan {
  const builder = detectBuilder(input.files, input.selected);
  if (builder === 'null') return { builder };
  if (builder === 'dockerfile') {
    if (!input.files.includes('Dockerfile')) throw new BuildError('dockerfile', 'The dockerfile builder is selected but the source has no Dockerfile');
    return { builder, dockerfile: 'Dockerfile' };
  }
  if (input.buildpacks && input.buildpacks.length > 0) {
    return { builder, from: 'app', buildpacks: input.buildpacks.map(parseBuildpackRef) };
  }
  const url = input.env?.BUILDPACK_URL?.trim();
  if (url) return { builder, from: 'BUILDPACK_URL', buildpacks: [parseBuildpackRef(url)] };
  if (input.buildpacksFile !== undefined) {
    const list = parseBuildpacksFile(input.buildpacksFile);
    if (list.length > 0) return { builder, from: '.buildpacks', buildpacks: list };
  }
  return { builder, from: 'detect', buildpacks: BUILTIN_BUILDPACKS.map((name) => ({ kind: 'builtin', name, ref: name })) };
}
