import { describe, expect, it } from 'vitest';
import { MASK, sanitizeEnv, sanitizeInspect } from '../../../src/runtime/inspect-sanitize.ts';

describe('ps:inspect sanitizing', () => {
  it('masks every value but the platform variables, keeping each key', () => {
    expect(sanitizeEnv(['DATABASE_URL=postgres://u:p@h/db', 'DYNO=web.1', 'PORT=5000', 'PATH=/usr/bin', 'DOKKU_APP_NAME=web', 'GIT_REV=abc', 'EMPTY=', 'ODD'])).toEqual([
      `DATABASE_URL=${MASK}`,
      'DYNO=web.1',
      'PORT=5000',
      'PATH=/usr/bin',
      'DOKKU_APP_NAME=web',
      `GIT_REV=${MASK}`,
      `EMPTY=${MASK}`,
      'ODD',
    ]);
  });

  it('changes a copy: the inspect data given is left as it was', () => {
    const original = { Id: 'abc', Config: { Env: ['SECRET=s3'], Image: 'x' } };
    expect(sanitizeInspect(original)).toEqual({ Id: 'abc', Config: { Env: [`SECRET=${MASK}`], Image: 'x' } });
    expect(original.Config.Env).toEqual(['SECRET=s3']);
  });
});
