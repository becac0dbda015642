import { describe, expect, it } from 'vitest';
import { checkBuildpack, tenantBuildpackRefusal } from '../../../src/builder/buildpack-ref.ts';
import { ADMIN_ONLY_BUILDPACKS, MALFORMED_BUILDPACKS, TENANT_BUILDPACKS } from '../../fixtures/buildpack-inputs.ts';
import { buildPlan, parseBuildpackRef } from '../../../src/builder/plan.ts';
import { BuildError } from '../../../src/builder/errors.ts';

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
