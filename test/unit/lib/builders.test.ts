import { describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/builder/errors.ts';
import { detectBuilder } from '../../../src/builder/plan.ts';
import { BUILDERS, builderProblem, isBuilderName } from '../../../src/lib/builders.ts';
import { decideSetting } from '../../../src/state/settings-schema.ts';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('builder names: one list for builder:set and the build', () => {
  it('knows herokuish, dockerfile and null', () => {
    expect([...BUILDERS]).toEqual(['herokuish', 'dockerfile', 'null']);
  });

  it.each([...BUILDERS])('accepts %s in the setting and the build', (name) => {
    expect(isBuilderName(name)).toBe(true);
    expect(builderProblem(name)).toBeUndefined();
    expect(decideSetting('builder', 'selected', name, undefined, false)).toEqual([{ type: 'SettingSet', data: { namespace: 'builder', key: 'selected', value: name } }]);
    expect(detectBuilder(['Dockerfile'], name)).toBe(name);
  });

  it.each(['pack', 'Herokuish', 'docker', 'herokuish ', 'nul', 'cnb'])('refuses %j with one reason, word for word, in both', (name) => {
    const problem = builderProblem(name);
    expect(problem).toBe(`Unknown builder '${name}': use one of herokuish, dockerfile, null`);
    expect(messageOf(() => decideSetting('builder', 'selected', name, undefined, false))).toBe(problem);
    expect(() => detectBuilder([], name)).toThrow(BuildError);
    expect(messageOf(() => detectBuilder([], name))).toBe(problem);
  });

  it('an empty or cleared selection means detect', () => {
    expect(decideSetting('builder', 'selected', '', undefined, false)).toHaveLength(1);
    expect(decideSetting('builder', 'selected', null, 'dockerfile', false)).toHaveLength(1);
    expect(detectBuilder(['Dockerfile'], '')).toBe('dockerfile');
  });

  it('escapes control characters in the message', () => {
    expect(builderProblem('x\u001b[2J')).toBe("Unknown builder 'x\\x1b[2J': use one of herokuish, dockerfile, null");
  });
});
