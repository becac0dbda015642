import { describe, expect, it } from 'vitest';
import { checkBuildpack, MAX_BUILDPACK_LENGTH, tenantBuildpackRefusal } from '../../../src/build/buildpack-ref.ts';
import { buildPlan, parseBuildpackRef } from '../../../src/build/plan.ts';
import { BuildError } from '../../../src/build/errors.ts';

/** Malformed for everyone: the command refuses them when set, the build when it reads them. */
export const MALFORMED_BUILDPACKS = [
  '',
  'nosuchbuiltin',
  'heroku/nosuch',
  'ruby',
  '-u',
  '--upload-pack=id',
  'https://x#--upload-pack=id',
  'https://x/bp.git#-b',
  'ssh://-oProxyCommand=id/x',
  'ssh://git@-oProxyCommand=id/x',
  'git://-x/y',
  'git@-oProxyCommand=id:x',
  '-oProxyCommand=id@host:x',
  'git@host:-x',
  'https://x/bp.git#a..b',
  'https://x/bp.git#',
  'https://',
  'https:///path',
  'https://x',
  'https://x:99999/bp',
  'https://x:abc/bp',
  'https://exa mple.com/bp',
  'https://x/bp\n.git',
  'https://x/bp\t',
  ' https://x/bp',
  'https://x/bp\u0000',
  'https://x/bp\u001b[2J',
  'https://x/bp\u007f',
  'https://x/bp;id',
  'https://x/$(id)',
  'https://x/`id`',
  'https://x/bp|id',
  'https://x/bp&id',
  "https://x/bp'",
  'https://x/bp"',
  'https://x/bp\\',
  'https://x/bp>out',
  'ext::sh -c id',
  'ext::sh',
  'fd::3',
  'ftp://x/bp.git',
  'file://host/etc/bp',
  'file://',
  '/',
  '/srv/-bp',
  `https://x/${'a'.repeat(MAX_BUILDPACK_LENGTH)}`,
  'a'.repeat(5000),
];

/** Well-formed, but naming the server's files or a rewritable transport: admins only. */
export const ADMIN_ONLY_BUILDPACKS = [
  'file:///home/dokku/web.git#bp',
  'file:///tmp/bp.git',
  'file://localhost/tmp/bp.git',
  '/home/dokku/alice.git',
  '/srv/buildpacks/bp',
  'http://example.com/bp.git',
  'git://example.com/bp.git',
];

export const TENANT_BUILDPACKS = [
  'nodejs',
  'heroku/python',
  'heroku-buildpack-static',
  'procfile',
  'https://github.com/heroku/heroku-buildpack-ruby.git',
  'https://example.com/bp.git#v1.2',
  'https://token:x-oauth@example.com:8443/org/bp.git#main',
  'ssh://git@example.com/org/bp.git',
  'ssh://example.com:2222/org/bp.git#0123abcd',
  'git@example.com:org/bp.git',
];

describe('buildpack validation', () => {
  it.each(MALFORMED_BUILDPACKS.map((b) => [JSON.stringify(b).slice(0, 60), b]))('refuses %s for everyone', (_, text) => {
    const checked = checkBuildpack(text);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.problem.split('\n')).toHaveLength(1);
      expect(checked.problem.length).toBeLessThan(300);
      // No control character is echoed back.
      expect(checked.problem).not.toMatch(/[\x00-\x1f]/);
    }
  });

  it.each(ADMIN_ONLY_BUILDPACKS)('takes %s from an admin, refuses it to a tenant', (text) => {
    const checked = checkBuildpack(text);
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(tenantBuildpackRefusal(checked.ref)).toMatch(/names a path on the server|non-admin keys may use https/);
  });

  it.each(TENANT_BUILDPACKS)('takes %s from anyone', (text) => {
    const checked = checkBuildpack(text);
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(tenantBuildpackRefusal(checked.ref)).toBeUndefined();
  });

  it('names the built-ins when the name is unknown', () => {
    expect(checkBuildpack('nosuchbuiltin')).toEqual({ ok: false, problem: "Unknown buildpack 'nosuchbuiltin': use a built-in one (nodejs, python, static, procfile) or a git URL" });
  });

  it('the build applies the same rules to the app list, BUILDPACK_URL and .buildpacks', () => {
    for (const text of ['https://x#--upload-pack=id', 'nosuchbuiltin']) {
      expect(() => buildPlan({ files: [], buildpacks: [text] })).toThrow(BuildError);
      expect(() => buildPlan({ files: [], env: { BUILDPACK_URL: text } })).toThrow(BuildError);
      expect(() => buildPlan({ files: [], buildpacksFile: `nodejs\n${text}\n` })).toThrow(BuildError);
    }
    const file = 'file:///home/dokku/web.git#bp';
    expect(buildPlan({ files: [], buildpacksFile: `${file}\n` })).toMatchObject({ from: '.buildpacks', buildpacks: [{ url: 'file:///home/dokku/web.git', commitish: 'bp' }] });
    for (const input of [{ buildpacks: [file] }, { env: { BUILDPACK_URL: file } }, { buildpacksFile: `${file}\n` }]) {
      expect(() => buildPlan({ files: [], tenant: true, ...input })).toThrow(/Refused buildpack .* names a path on the server/);
    }
    expect(parseBuildpackRef('  nodejs  ', { tenant: true })).toMatchObject({ kind: 'builtin', name: 'nodejs' });
  });
});
