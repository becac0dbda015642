/**
 * Buildpacks as directories on the host: built-in ones from `buildpacks/`, others cloned with git.
 * git gets its arguments as an array, the URL after `--`, and only plain transports.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { BuildError } from './errors.ts';
import { detail, type OnLine } from '../lib/lines.ts';
import type { BuildpackRef } from './plan.ts';

export interface FetchedBuildpack {
  ref: BuildpackRef;
  /** Host directory holding bin/detect, bin/compile, bin/release. */
  dir: string;
}

/**
 * Where the built-in buildpacks live: `DOKKU_BUILDPACKS_DIR`, else `buildpacks/` of this checkout,
 * else beside the installed binary, else the system location.
 */
export function builtinBuildpacksDir(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.DOKKU_BUILDPACKS_DIR,
    moduleRelative('../../buildpacks'),
    // dist/dokku.mjs and dist/dokku of a checkout sit one level below buildpacks/.
    moduleRelative('../buildpacks'),
    join(dirname(process.execPath), '..', 'buildpacks'),
    join(dirname(process.execPath), '..', 'share', 'dokku', 'buildpacks'),
    '/usr/share/dokku/buildpacks',
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(join(p, 'procfile', 'bin', 'detect'))) ?? candidates[0]!;
}

function moduleRelative(rel: string): string | undefined {
  try {
    const url = new URL(rel, import.meta.url);
    return url.protocol === 'file:' ? fileURLToPath(url) : undefined;
  } catch {
    return undefined;
  }
}

export async function fetchBuildpacks(refs: readonly BuildpackRef[], opts: { builtinDir: string; workDir: string; tenant?: boolean; onLine: OnLine }): Promise<FetchedBuildpack[]> {
  const fetched: FetchedBuildpack[] = [];
  for (const [i, ref] of refs.entries()) {
    if (ref.kind === 'builtin') {
      const dir = join(opts.builtinDir, ref.name);
      if (!existsSync(join(dir, 'bin', 'compile'))) throw new BuildError('buildpack', `Built-in buildpack ${ref.name} is missing from ${opts.builtinDir}`);
      fetched.push({ ref, dir });
      continue;
    }
    const dir = resolve(opts.workDir, `buildpack-${i}`);
    mkdirSync(opts.workDir, { recursive: true });
    opts.onLine(detail(`Fetching buildpack ${ref.ref}`));
    await cloneBuildpack(ref.url, ref.commitish, dir, opts.tenant ? TENANT_PROTOCOLS : ALL_PROTOCOLS);
    if (!existsSync(join(dir, 'bin', 'compile'))) throw new BuildError('buildpack', `${ref.ref} is not a buildpack: it has no bin/compile`);
    fetched.push({ ref, dir });
  }
  return fetched;
}

// No `ext::` or other transports that run commands; a tenant's build not even the server's own files.
const ALL_PROTOCOLS = 'file:git:http:https:ssh';
const TENANT_PROTOCOLS = 'https:ssh';

async function cloneBuildpack(url: string, commitish: string | undefined, dir: string, protocols: string): Promise<void> {
  const env = { GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: protocols };
  const git = (args: string[]) => execa('git', args, { reject: false, env, stdin: 'ignore' });
  const shallow = await git(['clone', '--quiet', '--depth', '1', ...(commitish ? ['--branch', commitish] : []), '--', url, dir]);
  if (shallow.exitCode === 0) return;
  if (commitish) {
    // `--branch` takes branches and tags; a commit needs a full clone and a checkout.
    const full = await git(['clone', '--quiet', '--no-checkout', '--', url, dir]);
    if (full.exitCode === 0) {
      const checkout = await git(['-C', dir, 'checkout', '--quiet', commitish, '--']);
      if (checkout.exitCode === 0) return;
      throw new BuildError('buildpack', `Could not check out ${commitish} of buildpack ${url}: ${checkout.stderr.trim()}`);
    }
    throw new BuildError('buildpack', `Could not clone buildpack ${url}: ${full.stderr.trim()}`);
  }
  throw new BuildError('buildpack', `Could not clone buildpack ${url}: ${shallow.stderr.trim()}`);
}
