import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.ts';

/** lib/stdout.ts under Bun (the compiled binary's runtime), through real pipes. */
const BUN = join(REPO, 'node_modules/.bin/bun');
const SCRIPT = join(REPO, 'test/helpers/stdout-run.ts');

function expected(mib: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < mib; i++) h.update(Buffer.alloc(1024 * 1024, i & 0xff));
  return h.digest('hex');
}

describe('bytes written to stdout', () => {
  it('all arrive, in order, at a reader that starts late', () => {
    const r = spawnSync('sh', ['-c', `"$0" "$1" 32 | (sleep 1; sha256sum)`, BUN, SCRIPT], { encoding: 'utf8' });
    expect(r.stderr).toBe('written\n');
    expect(r.stdout.split(' ')[0]).toBe(expected(32));
  });

  it('a reader that goes away is an error, not a silent success', () => {
    const r = spawnSync('sh', ['-c', `"$0" "$1" 32 | head -c 1000 > /dev/null; exit 0`, BUN, SCRIPT], { encoding: 'utf8' });
    expect(r.stderr).toBe('The reader of the output went away before all of it was written\n');
  });
});
