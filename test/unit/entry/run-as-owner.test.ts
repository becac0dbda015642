import { describe, expect, it } from 'vitest';
import { ownerToBecome } from '../../../src/entry/run-as-owner.ts';
import { UserError } from '../../../src/lib/errors.ts';

const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'dokku:x:1001:1002::/home/dokku:/bin/bash', 'broken:x'].join('\n');

describe('ownerToBecome', () => {
  it('becomes the owner of DOKKU_ROOT only when root runs and someone else owns it', () => {
    expect(ownerToBecome(0, { uid: 1001, gid: 1002 }, PASSWD)).toEqual({ uid: 1001, gid: 1002, name: 'dokku', home: '/home/dokku' });
    expect(ownerToBecome(1001, { uid: 1001, gid: 1002 }, PASSWD)).toBeUndefined();
    expect(ownerToBecome(1500, { uid: 1001, gid: 1002 }, PASSWD)).toBeUndefined();
    expect(ownerToBecome(0, { uid: 0, gid: 0 }, PASSWD)).toBeUndefined();
    expect(ownerToBecome(0, undefined, PASSWD)).toBeUndefined();
  });

  it('takes the group from the passwd entry, not the directory', () => {
    expect(ownerToBecome(0, { uid: 1001, gid: 50 }, PASSWD)?.gid).toBe(1002);
  });

  it('refuses, rather than running as root, when the owner has no passwd entry', () => {
    expect(() => ownerToBecome(0, { uid: 4242, gid: 4242 }, PASSWD)).toThrow(UserError);
    expect(() => ownerToBecome(0, { uid: 4242, gid: 4242 }, PASSWD)).toThrow(/uid 4242, which has no entry/);
  });
});
