/**
 * What a buildpack may be, in one place: `buildpacks:add|set` and `config:set BUILDPACK_URL=…` check
 * a word with it when it is set, the settings schema checks the stored list with it, and the build
 * checks the app's list, `BUILDPACK_URL` and `.buildpacks` with it again. Pure, so every floor can.
 *
 * Anyone: a built-in name, or a git URL (`https://`, `http://`, `git://`, `ssh://`, `file://`, an
 * absolute path, or scp-style `user@host:path`) with an optional `#branch-or-tag-or-commit`. No
 * whitespace or control characters, no shell syntax, nothing git could read as an option (a URL,
 * host or ref starting with `-`), at most 1,024 characters.
 *
 * A tenant (a non-admin key): built-ins, `https://`, `ssh://` and scp-style URLs only; a path or
 * `file://` URL names the server's own files, and plain `http://`/`git://` can be rewritten on the way.
 */
import { printable } from './validate.ts';

/** Built-in buildpacks, in the order auto-detection tries them. `procfile` matches last. */
export const BUILTIN_BUILDPACKS = ['nodejs', 'python', 'static', 'procfile'] as const;
export type BuiltinBuildpack = (typeof BUILTIN_BUILDPACKS)[number];

export type BuildpackRef =
  | { kind: 'builtin'; name: BuiltinBuildpack; ref: string }
  | { kind: 'git'; url: string; commitish?: string; ref: string; transport: GitTransport };

export type GitTransport = 'https' | 'http' | 'git' | 'ssh' | 'scp' | 'file' | 'path';

export const MAX_BUILDPACK_LENGTH = 1024;

/** Transports a tenant may name. */
const TENANT_TRANSPORTS: readonly GitTransport[] = ['https', 'ssh', 'scp'];

const SCHEMES: Record<string, GitTransport> = { 'https://': 'https', 'http://': 'http', 'git://': 'git', 'ssh://': 'ssh', 'file://': 'file' };
const UNSAFE = /[\s\x00-\x1f\x7f'"`$;&|<>\\(){}*?!^~[\]]/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[^@:/]*)?$/;
const PORT = /^\d{1,5}$/;
const COMMITISH = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,254}$/;

export type BuildpackCheck = { ok: true; ref: BuildpackRef } | { ok: false; problem: string };

/** `nodejs`, `heroku/nodejs`, `heroku-buildpack-nodejs`, or a git URL with an optional `#ref`. */
export function checkBuildpack(text: string): BuildpackCheck {
  const bad = (why: string): BuildpackCheck => ({ ok: false, problem: `Invalid buildpack '${printable(text)}': ${why}` });
  if (text === '') return bad('it is empty');
  if (text.length > MAX_BUILDPACK_LENGTH) return { ok: false, problem: `Invalid buildpack: ${text.length} characters, at most ${MAX_BUILDPACK_LENGTH}` };
  if (/[\s\x00-\x1f\x7f]/.test(text)) return bad('it contains whitespace or control characters');
  const name = text.replace(/^heroku\//, '').replace(/^heroku-buildpack-/, '');
  if ((BUILTIN_BUILDPACKS as readonly string[]).includes(name)) return { ok: true, ref: { kind: 'builtin', name: name as BuiltinBuildpack, ref: text } };
  if (text.startsWith('-')) return bad('it must not start with -');
  if (UNSAFE.test(text)) return bad('it contains characters a git URL does not need');

  const hash = text.indexOf('#');
  const url = hash === -1 ? text : text.slice(0, hash);
  const commitish = hash === -1 ? undefined : text.slice(hash + 1);
  if (commitish !== undefined) {
    if (commitish.startsWith('-')) return bad("the part after '#' must not start with -");
    if (!COMMITISH.test(commitish) || commitish.includes('..') || commitish.includes('//')) return bad("the part after '#' must be a branch, tag or commit");
  }
  const transport = gitTransport(url);
  if (typeof transport === 'object') return bad(transport.problem);
  if (transport === undefined) {
    if (/^[a-z][a-z0-9-]*$/.test(text) || /^heroku\//.test(text)) {
      return { ok: false, problem: `Unknown buildpack '${printable(text)}': use a built-in one (${BUILTIN_BUILDPACKS.join(', ')}) or a git URL` };
    }
    return bad(`expected a built-in name (${BUILTIN_BUILDPACKS.join(', ')}) or a git URL (https://, ssh://, git@host:path)`);
  }
  const ref: BuildpackRef = commitish === undefined ? { kind: 'git', url, ref: text, transport } : { kind: 'git', url, commitish, ref: text, transport };
  return { ok: true, ref };
}

/** The transport of a URL, a problem with its host or path, or undefined if it is no git URL at all. */
function gitTransport(url: string): GitTransport | { problem: string } | undefined {
  const scheme = Object.keys(SCHEMES).find((s) => url.startsWith(s));
  if (scheme) {
    const rest = url.slice(scheme.length);
    const transport = SCHEMES[scheme]!;
    const slash = rest.indexOf('/');
    const authority = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '' : rest.slice(slash);
    if (transport === 'file') {
      if (authority !== '' && authority !== 'localhost') return { problem: 'a file:// URL names no host' };
      if (path.length < 2) return { problem: 'the URL has no path' };
      return 'file';
    }
    if (rest.startsWith('-')) return { problem: 'the host must not start with -' };
    const at = authority.lastIndexOf('@');
    const user = at === -1 ? undefined : authority.slice(0, at);
    const hostPort = at === -1 ? authority : authority.slice(at + 1);
    const colon = hostPort.lastIndexOf(':');
    const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    const port = colon === -1 ? undefined : hostPort.slice(colon + 1);
    if (host.startsWith('-') || user?.startsWith('-')) return { problem: 'the host must not start with -' };
    if (!HOST.test(host)) return { problem: 'the URL has no valid host name' };
    if (user !== undefined && !USER.test(user)) return { problem: 'the user name in the URL is not valid' };
    if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) return { problem: 'the port in the URL is not valid' };
    if (path.length < 2 || path.includes('/-')) return { problem: 'the URL has no valid path' };
    return transport;
  }
  if (url.startsWith('/')) return url.length > 1 && !url.includes('/-') ? 'path' : { problem: 'the path is not valid' };
  // scp-style: user@host:path (no scheme, the first colon before any slash)
  const scp = /^([^@/:]+)@([^@/:]+):(.+)$/.exec(url);
  if (scp) {
    const [, user, host, path] = scp;
    if (user!.startsWith('-') || host!.startsWith('-')) return { problem: 'the host must not start with -' };
    if (!USER.test(user!) || !HOST.test(host!)) return { problem: 'the user or host is not valid' };
    if (path!.startsWith('-') || path!.includes('/-')) return { problem: 'the path must not start with -' };
    return 'scp';
  }
  if (url.includes('://')) return { problem: 'use https://, ssh:// or git@host:path' };
  return undefined;
}

/** Why a tenant may not use this buildpack, or undefined if it may. */
export function tenantBuildpackRefusal(ref: BuildpackRef): string | undefined {
  if (ref.kind === 'builtin' || TENANT_TRANSPORTS.includes(ref.transport)) return undefined;
  if (ref.transport === 'file' || ref.transport === 'path') return `buildpack ${printable(ref.ref)} names a path on the server: only admin keys may`;
  return `buildpack ${printable(ref.ref)} uses ${ref.transport}://: non-admin keys may use https://, ssh:// and git@host:path URLs only`;
}

/**
 * The app's stored list (`buildpacks.list`, JSON): every entry a buildpack by `checkBuildpack`, each
 * once. Why it is refused, as a whole sentence, or undefined when it is fine.
 */
export function buildpackListProblem(json: string): string | undefined {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every((b) => typeof b === 'string')) return `Invalid buildpack list '${printable(json)}': expected a JSON list of buildpacks`;
  for (const b of list as string[]) {
    const checked = checkBuildpack(b);
    if (!checked.ok) return checked.problem;
  }
  const twice = (list as string[]).find((b, i) => list.indexOf(b) !== i);
  return twice === undefined ? undefined : `Buildpack ${printable(twice)} is listed twice`;
}
