import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Context } from '../../../src/app/context.ts';
import { buildProgram } from '../../../src/cli/program.ts';

/** Plumbing no user types: run by dokku itself. */
const INTERNAL = new Set(['git-hook']);

/** The README's command table: its section, up to the next heading. */
function commandSection(): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Commands\n');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end);
}

describe('the README command table', () => {
  it('names every command the CLI registers (a `ns:*` entry covers its namespace)', () => {
    const section = commandSection();
    const named = new Set([...section.matchAll(/`([a-z][a-z0-9-]*(?::[a-z0-9*-]+)?)[ `]/g)].map((m) => m[1]!));
    const names = buildProgram({} as Context).commands.map((c) => c.name).filter((n) => n !== '' && !INTERNAL.has(n));
    expect(names.length).toBeGreaterThan(50);
    const missing = names.filter((n) => !named.has(n) && !named.has(`${n.split(':')[0]}:*`));
    expect(missing).toEqual([]);
  });
});
