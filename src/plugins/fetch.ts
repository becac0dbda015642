import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { loadExeca } from '../lib/execa.ts';
import { parseGitRemote } from '../lib/git-url.ts';
import { printable } from '../lib/validate.ts';

/** Where a plugin comes from, as `plugin:install` was given it. */
export type PluginSourceKind = 'git' | 'directory' | 'tarball';

export interface Fetched {
  kind: PluginSourceKind;
  /** The commit checked out (git sources). */
  commit?: string;
}

const MAX_TARBALL_BYTES = 100 * 1024 * 1024;
const TARBALL = /^https?:\/\/[^\s]+\.(tar\.gz|tgz)(\?[^\s]*)?$/i;

/** What kind of source the word names; refused in one line when it names none. */
export function sourceKind(source: string): PluginSourceKind {
  if (source.startsWith('-')) throw new UserError(`Invalid plugin source '${printable(source)}': it looks like an option`);
  if (TARBALL.test(source)) return 'tarball';
  if (isAbsolute(source)) {
    if (!existsSync(source)) throw new UserError(`Plugin source ${printable(source)} does not exist`);
    return existsSync(join(source, '.git')) || existsSync(join(source, 'HEAD')) ? 'git' : 'directory';
  }
  parseGitRemote(source);
  return 'git';
}

/** Fetches the source into `dest` (which must not exist): a clone at `committish`, a copy, or an unpacked tarball. */
export async function fetchPlugin(source: string, dest: string, committish?: string): Promise<Fetched> {
  const kind = sourceKind(source);
  if (committish !== undefined && (committish === '' || committish.startsWith('-') || !/^[\w./@^~-]{1,200}$/.test(committish))) {
    throw new UserError(`Invalid committish '${printable(committish)}'`);
  }
  if (committish !== undefined && kind !== 'git') throw new UserError('--committish needs a git source');
  if (kind === 'directory') {
    cpSync(source, dest, { recursive: true, verbatimSymlinks: true });
    return { kind };
  }
  const execa = await loadExeca();
  const env = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' };
  if (kind === 'git') {
    const clone = await execa('git', ['clone', '--quiet', '--', source, dest], { reject: false, stdin: 'ignore', env });
    if (clone.exitCode !== 0) throw new UserError(`git clone of ${printable(source)} failed: ${firstLine(clone.stderr)}`);
    if (committish !== undefined) {
      const co = await execa('git', ['-C', dest, 'checkout', '--quiet', committish, '--'], { reject: false, stdin: 'ignore', env });
      if (co.exitCode !== 0) throw new UserError(`No ${printable(committish)} in ${printable(source)}: ${firstLine(co.stderr)}`);
    }
    const head = await execa('git', ['-C', dest, 'rev-parse', 'HEAD'], { reject: false, stdin: 'ignore' });
    return { kind, ...(head.exitCode === 0 ? { commit: head.stdout.trim() } : {}) };
  }
  const res = await fetch(source, { redirect: 'follow' }).catch((e: Error) => {
    throw new UserError(`Download of ${printable(source)} failed: ${e.message}`);
  });
  if (!res.ok) throw new UserError(`Download of ${printable(source)} failed: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_TARBALL_BYTES) throw new UserError(`Plugin tarball is over ${MAX_TARBALL_BYTES / 1024 / 1024} MiB`);
  const unpack = `${dest}.unpack`;
  mkdirSync(unpack, { recursive: true });
  try {
    const file = `${dest}.tar.gz`;
    writeFileSync(file, body);
    const tar = await execa('tar', ['-xzf', file, '-C', unpack, '--no-same-owner'], { reject: false, stdin: 'ignore' });
    rmSync(file, { force: true });
    if (tar.exitCode !== 0) throw new UserError(`Plugin tarball could not be unpacked: ${firstLine(tar.stderr)}`);
    // GitHub's tarballs hold one top directory: the plugin is inside it.
    const top = readdirSync(unpack);
    const only = top.length === 1 && statSync(join(unpack, top[0]!)).isDirectory() ? join(unpack, top[0]!) : unpack;
    renameSync(only, dest);
    return { kind };
  } finally {
    rmSync(unpack, { recursive: true, force: true });
  }
}

const firstLine = (text: string): string => printable(text.trim().split('\n')[0] ?? '') || 'no output';
