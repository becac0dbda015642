import { describe, expect, it } from 'vitest';
import { parseProcfile } from '../../../src/builder/procfile.ts';
import { parseFormation } from '../../../src/cli/ps.ts';
import { PROCESS_TYPE_RULE, processTypeProblem } from '../../../src/lib/process-type.ts';

const GOOD = ['web', 'worker', 'Worker', 'WEB', 'clock2', '2nd', 'urgent-worker', 'urgent_worker', 'a', 'a'.repeat(63)];
const BAD = ['', '-web', '_web', 'we.b', 'we b', 'wörker', 'web!', 'a/b', 'a'.repeat(64), 'web\u001b[2J'];

describe('process types: one rule for the Procfile and ps:scale', () => {
  it.each(GOOD)('accepts %j', (name) => {
    expect(processTypeProblem(name)).toBeUndefined();
    expect(Object.keys(parseProcfile(`${name}: run it\n`))).toEqual([name]);
    expect(parseFormation([`${name}=1`])).toEqual({ [name]: 1 });
  });

  it.each(BAD.map((b) => [JSON.stringify(b).slice(0, 40), b]))('refuses %s, with the same reason in both', (_, name) => {
    const problem = processTypeProblem(name);
    expect(problem).toMatch(/^invalid process type '.*' \(letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters\)$/);
    expect(problem).not.toMatch(/[\x00-\x1f]/);
    expect(() => parseProcfile(`${name}: run it\n`)).toThrow(`line 1: ${problem}`);
    expect(() => parseFormation([`${name}=1`])).toThrow(`Invalid scale '${`${name}=1`.replace(/\u001b/g, '\\x1b')}': ${problem}`);
  });

  it('names the rule in the message', () => {
    expect(processTypeProblem('we.b')).toBe(`invalid process type 'we.b' (${PROCESS_TYPE_RULE})`);
  });

  it('still refuses a scale word that is no TYPE=QUANTITY', () => {
    for (const w of ['web', 'web=', 'web=-1', 'web=1000', 'web=1.5', '=1']) {
      expect(() => parseFormation([w]), w).toThrow(/^Invalid scale/);
    }
    expect(() => parseFormation(['web=abc'])).toThrow("Invalid scale 'web=abc': use TYPE=QUANTITY with a process type from the Procfile and 0-100");
  });
});
