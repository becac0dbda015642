/**
 * The README's "Without installing" commands, run as written (bash, from the checkout), on a
 * temporary DOKKU_ROOT in place of /tmp/dokku-demo. The build line is what `npm test` already did.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, makeRoot, removeRoots, requireDist } from '../helpers/cli.ts';

function codeBlockAfter(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`README has no "${heading}" section`);
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(start));
  if (!block) throw new Error(`no sh block under "${heading}"`);
  return block[1]!.split('\n').filter((l) => l.trim() !== '');
}

describe('README quick start (without installing)', () => {
  afterAll(removeRoots);

  it('runs line by line as written and shows what it says', () => {
    requireDist();
    const root = makeRoot('dokku-readme-');
    const lines = codeBlockAfter(readFileSync(join(REPO, 'README.md'), 'utf8'), '### Without installing');
    expect(lines[0]).toMatch(/^npm ci && npm run build/);
    const script = ['set -e', ...lines.slice(1).map((l) => l.replaceAll('/tmp/dokku-demo', root))].join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOKKU_') && k !== 'NAME'));
    const r = spawnSync('bash', ['-c', script], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('-----> Creating myapp...');
    expect(r.stdout).toContain('\nhello world\n');
    expect(r.stdout).toMatch(/ConfigSet\s+Set MESSAGE/);
    // The audit line names the key; the value appears only where config:get printed it.
    expect(r.stdout.split('hello world').length - 1).toBe(1);
    expect(r.stdout).toMatch(/Event log verified: \d+ events, hash chain intact/);
  });
});
