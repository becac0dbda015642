import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRIGGERS } from '../../../src/lib/plugin-triggers.ts';

describe('the trigger table', () => {
  it('is the README\'s, row for row', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => /^\| `[a-z-]+` \| /.test(l) && l.includes(' | shown |') || / \| read by dokku \| /.test(l));
    expect(rows.map((r) => /^\| `([a-z-]+)`/.exec(r)![1])).toEqual(Object.keys(TRIGGERS));
    for (const [name, t] of Object.entries(TRIGGERS)) {
      const row = rows.find((r) => r.startsWith(`| \`${name}\` |`))!;
      expect(row).toContain(t.when);
      for (const a of t.args) expect(row).toContain(`\`${a}\``);
      expect(row).toContain(t.failure === 'aborts' ? 'stops the step' : 'a warning');
    }
  });

  it('keeps Dokku\'s arguments and what a failure does', () => {
    expect(TRIGGERS['post-app-rename'].args).toEqual(['OLD_APP', 'NEW_APP']);
    expect(TRIGGERS['docker-args-deploy'].output).toBe('captured');
    expect(TRIGGERS['pre-receive-app'].failure).toBe('aborts');
    expect(TRIGGERS['post-deploy'].failure).toBe('warns');
  });
});
