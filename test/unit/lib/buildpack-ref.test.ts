import { describe, expect, it } from 'vitest';
import { buildpackListProblem, checkBuildpack, tenantBuildpackRefusal } from '../../../src/lib/buildpack-ref.ts';
import { decideSetting } from '../../../src/state/settings-schema.ts';
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

  it.each(MALFORMED_BUILDPACKS.filter((b) => b !== '').map((b) => [JSON.stringify(b).slice(0, 60), b]))('the command and the build refuse %s for one reason, word for word', (_, text) => {
    const checked = checkBuildpack(text);
    if (checked.ok) throw new Error('expected a refusal');
    // Surrounding whitespace is read as a line of .buildpacks would be; everything else fails alike.
    if (text.trim() !== text) return;
    for (const input of [{ buildpacks: [text] }, { env: { BUILDPACK_URL: text } }]) {
      expect(() => buildPlan({ files: [], ...input })).toThrow(BuildError);
      expect(() => buildPlan({ files: [], ...input })).toThrow(checked.problem);
    }
    expect(() => decideSetting('buildpacks', 'list', JSON.stringify([text]), undefined, false)).toThrow(checked.problem);
  });
});

describe('the stored buildpack list', () => {
  it('takes a list of buildpacks, each once', () => {
    expect(buildpackListProblem('[]')).toBeUndefined();
    expect(buildpackListProblem(JSON.stringify(TENANT_BUILDPACKS))).toBeUndefined();
    expect(buildpackListProblem(JSON.stringify(ADMIN_ONLY_BUILDPACKS))).toBeUndefined();
    expect(decideSetting('buildpacks', 'list', '["nodejs","https://example.com/bp.git#v1"]', undefined, false)).toHaveLength(1);
  });

  it('refuses an entry the command would refuse, with its reason', () => {
    expect(buildpackListProblem('["nodejs","ruby"]')).toBe("Unknown buildpack 'ruby': use a built-in one (nodejs, python, static, procfile) or a git URL");
    expect(() => decideSetting('buildpacks', 'list', '["ruby"]', undefined, false)).toThrow(
      "Unknown buildpack 'ruby': use a built-in one (nodejs, python, static, procfile) or a git URL",
    );
  });

  it('refuses what is no list of words, and a buildpack listed twice', () => {
    for (const json of ['', 'nodejs', '{}', '"nodejs"', '[1]', '[["nodejs"]]', '[null]']) {
      expect(buildpackListProblem(json), json).toBe(`Invalid buildpack list '${json}': expected a JSON list of buildpacks`);
    }
    expect(buildpackListProblem('["nodejs","nodejs"]')).toBe('Buildpack nodejs is listed twice');
  });
});
