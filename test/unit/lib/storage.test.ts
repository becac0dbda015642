import { describe, expect, it } from 'vitest';
import { absolutePathProblem, chownProblem, containerPathProblem, mountBinds, mountOptionsProblem, parseMountSpec, storageNameProblem } from '../../../src/lib/storage.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';
import { containerSpec, oneOffSpec } from '../../../src/runtime/container-spec.ts';
import { requirementOf } from '../../../src/ssh/access.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

describe('storage rules', () => {
  it('reads Dokku legacy mounts', () => {
    expect(parseMountSpec('/var/lib/dokku/data/storage/app:/app/storage')).toEqual({ host: '/var/lib/dokku/data/storage/app', container: '/app/storage' });
    expect(parseMountSpec('/data/:/app/storage/:ro')).toEqual({ host: '/data', container: '/app/storage', options: 'ro' });
  });

  it.each([
    ['relative', 'data:/app/storage', /not absolute/],
    ['..', '/a/../etc:/app/x', /'\.\.'/],
    ['onto /app', '/a:/app', /hide the app/],
    ['onto /app/', '/a:/app/', /hide the app/],
    ['onto /', '/a:/', /hide the app/],
    ['no container path', '/a', /use \/host\/dir:\/container\/dir/],
    ['four parts', '/a:/b:ro:x', /use \/host\/dir/],
    ['a bad option', '/a:/b:rwx', /Invalid mount option 'rwx'/],
    ['ro and rw', '/a:/b:ro,rw', /ro or rw/],
    ['a newline', '/a\n:/b', /control character/],
  ])('refuses a mount %s', (_, spec, reason) => {
    expect(() => parseMountSpec(spec)).toThrow(reason);
  });

  it('checks names, paths and owners', () => {
    expect(storageNameProblem('web-data')).toBeUndefined();
    for (const bad of ['..', 'a/b', 'A', '', '-x', 'x'.repeat(64)]) expect(storageNameProblem(bad), bad).toMatch(/Invalid storage name/);
    expect(absolutePathProblem('/', 'host path')).toBeUndefined();
    expect(absolutePathProblem('/a//b', 'host path')).toMatch(/'\/\/'/);
    expect(containerPathProblem('/app/storage')).toBeUndefined();
    expect(mountOptionsProblem('ro,z')).toBeUndefined();
    expect(chownProblem('herokuish')).toBeUndefined();
    expect(chownProblem('nobody')).toMatch(/Invalid --chown/);
  });

  it('binds every mount into process containers and one-offs', () => {
    const mounts = [{ host: '/srv/a', container: '/app/a' }, { host: '/srv/b', container: '/app/b', options: 'ro', entry: 'b' }];
    expect(mountBinds(mounts)).toEqual(['/srv/a:/app/a', '/srv/b:/app/b:ro']);
    const release: ReleaseSpec = {
      app: 'web', version: 1, image: 'img', env: {}, processTypes: { web: 'x' }, webPort: 5000, healthchecks: {},
      run: { ...emptyRunSettings(), mounts, dockerOptions: { build: [], deploy: ['-v /srv/c:/app/c'], run: [] } },
    };
    expect(containerSpec(release, 'web', 1).HostConfig!.Binds).toEqual(['/srv/a:/app/a', '/srv/b:/app/b:ro', '/srv/c:/app/c']);
    expect(oneOffSpec(release, { processType: 'run', command: ['sh'], id: '1' }).HostConfig!.Binds).toEqual(['/srv/a:/app/a', '/srv/b:/app/b:ro']);
  });

  it('ties storage:create to the app of --app only without a path', () => {
    const call = (args: string[], options: Record<string, unknown>) => ({ command: 'storage:create', declared: [{ value: 'name', variadic: false }, { value: 'path', variadic: false }], takesGlobal: false, args, global: false, options });
    expect(requirementOf(call(['data'], { app: 'web' }))).toEqual({ kind: 'app', app: 'web' });
    expect(requirementOf(call(['data', '/etc'], { app: 'web' }))).toMatchObject({ kind: 'admin' });
    expect(requirementOf(call(['data'], {}))).toMatchObject({ kind: 'admin' });
  });
});
