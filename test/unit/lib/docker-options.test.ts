import { describe, expect, it } from 'vitest';
import { buildOptionsPart, byteSize, checkDockerOption, dockerOptionsPart, parsePhases } from '../../../src/lib/docker-options.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';
import { containerSpec, oneOffSpec } from '../../../src/runtime/container-spec.ts';
import { decideDockerOptions } from '../../../src/state/docker-options-decider.ts';
import { requirementOf } from '../../../src/ssh/access.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

describe('docker options become create options', () => {
  it('maps each known flag, both spellings of a value', () => {
    const part = dockerOptionsPart(
      ['-e A=1 --label team=web', '--shm-size=256m', '--add-host db.local:10.0.0.5', '--ulimit nofile=1024:2048', '--cpus 1.5 -m 512m', '--tmpfs /scratch:size=64m', '-u 1000:1000 -w /srv', '--dns 1.1.1.1', '--read-only'],
      'deploy',
    );
    expect(part.Env).toEqual(['A=1']);
    expect(part.Labels).toEqual({ team: 'web' });
    expect(part.User).toBe('1000:1000');
    expect(part.WorkingDir).toBe('/srv');
    expect(part.HostConfig).toEqual({
      ShmSize: 256 * 1024 ** 2,
      ExtraHosts: ['db.local:10.0.0.5'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      NanoCpus: 1.5e9,
      Memory: 512 * 1024 ** 2,
      Tmpfs: { '/scratch': 'size=64m' },
      Dns: ['1.1.1.1'],
      ReadonlyRootfs: true,
    });
  });

  it('gives build args, labels and build settings to the build phase only', () => {
    expect(buildOptionsPart(['--build-arg NODE_ENV=production', '--build-arg=EMPTY=', '--label a=b', '--shm-size 1g'])).toEqual({
      buildArgs: { NODE_ENV: 'production', EMPTY: '' },
      labels: { a: 'b' },
      shmSize: 1024 ** 3,
      extraHosts: [],
    });
    expect(() => checkDockerOption('--build-arg A=1', ['deploy'], false)).toThrow(/does not apply to the deploy phase/);
    expect(() => checkDockerOption('-e A=1', ['build'], false)).toThrow(/does not apply to the build phase/);
  });

  it.each([
    ['--frobnicate', /Unsupported docker option --frobnicate/],
    ['-p 8080:80', /use ports:add/],
    ['--restart always', /ps:set APP restart-policy/],
    ['--link db', /legacy/],
    ['--memory', /needs a value/],
    ['--memory=-1', /expected a size/],
    ['--memory 1e30', /expected a size/],
    ['--cpus abc', /number of CPUs/],
    ['-e NOVALUE', /KEY=VALUE/],
    ['--label com.dokku.app=other', /outside com\.dokku/],
    ['sh -c id', /not a flag/],
    ['--privileged=maybe', /switch/],
    ['-e "unterminated', /Invalid docker option/],
    ['', /empty/],
    [`-e A=${'x'.repeat(5000)}`, /too long/],
  ])('refuses %j in one line', (option, reason) => {
    expect(() => checkDockerOption(option, ['deploy'], false)).toThrow(UserError);
    expect(() => checkDockerOption(option, ['deploy'], false)).toThrow(reason);
  });

  it('reads phases as Dokku writes them', () => {
    expect(parsePhases('deploy,run')).toEqual(['deploy', 'run']);
    expect(() => parsePhases('deploy, run')).toThrow(/Invalid phase/);
    expect(() => parsePhases('deploy,deploy')).toThrow(/twice/);
    expect(() => parsePhases('release')).toThrow(/Invalid phase/);
  });

  it('reads sizes with Docker units and a cap', () => {
    expect(byteSize('1048576')).toBe(1048576);
    expect(byteSize('2g')).toBe(2 * 1024 ** 3);
    expect(byteSize('0')).toBeUndefined();
    expect(byteSize('2048g')).toBeUndefined();
  });
});

/** One row per flag that reaches past the container: a tenant is refused it, an admin is not. */
const ESCAPING: Array<[string, string]> = [
  ['--privileged', 'the whole host'],
  ['--pid=host', "host's namespace"],
  ['--pid container:other', "another container's namespace"],
  ['--ipc=host', "host's namespace"],
  ['--uts host', "host's namespace"],
  ['--userns=host', "host's namespace"],
  ['--network host', "host's namespace"],
  ['--net=host', "host's namespace"],
  ['--network other-app-net', 'network:set'],
  ['-v /:/host', 'host path'],
  ['--volume=/var/lib/dokku:/data', 'host path'],
  ['-v ./rel:/data', 'host path'],
  ['-v other-app-volume:/data', 'Docker volume'],
  ['--cap-add SYS_ADMIN', 'kernel capabilities'],
  ['--device /dev/sda', "host's devices"],
  ['--security-opt seccomp=unconfined', 'confinement'],
  ['--cgroup-parent /system.slice', 'cgroups'],
  ['--volumes-from other.web.1', "another container's volumes"],
  ['--sysctl net.ipv4.ip_forward=1', "kernel's parameters"],
];

describe('flags that escape the container are for admins', () => {
  it.each(ESCAPING)('%s', (option, why) => {
    expect(checkDockerOption(option, ['deploy'], true).escapes).toContain(why);
    expect(checkDockerOption(option, ['deploy'], false)).toEqual({});
    const call = (args: string[]) => ({ command: 'docker-options:add', declared: [{ value: 'app', variadic: false }], takesGlobal: false, args, global: false });
    expect(requirementOf(call(['web', 'deploy', option]))).toMatchObject({ kind: 'admin', reason: expect.stringContaining(why) });
  });

  it('lets a tenant use the ones that stay inside', () => {
    for (const option of ['-e A=1', '--shm-size 1g', '--add-host x:10.0.0.1', '--ulimit nofile=10', '--tmpfs /tmp', '--cap-drop NET_RAW', '--read-only']) {
      expect(checkDockerOption(option, ['deploy', 'run'], true)).toEqual({});
    }
    const call = { command: 'docker-options:add', declared: [{ value: 'app', variadic: false }], takesGlobal: false, args: ['web', 'deploy', '-e A=1'], global: false };
    expect(requirementOf(call)).toEqual({ kind: 'app', app: 'web' });
    // A word the command itself refuses is the command's error, not an access refusal.
    expect(requirementOf({ ...call, args: ['web', 'deploy', '--frobnicate'] })).toEqual({ kind: 'app', app: 'web' });
  });
});

describe('the decider', () => {
  const doc = emptyRunSettings();
  it('adds once per phase, removes only what is set, clears what has options', () => {
    expect(decideDockerOptions({ type: 'add', phases: ['deploy', 'run'], option: '-e A=1' }, doc)).toEqual([{ type: 'DockerOptionAdded', data: { phases: ['deploy', 'run'], option: '-e A=1' } }]);
    const withOne = { ...doc, dockerOptions: { build: [], deploy: ['-e A=1'], run: [] } };
    expect(decideDockerOptions({ type: 'add', phases: ['deploy'], option: '-e A=1' }, withOne)).toEqual([]);
    expect(decideDockerOptions({ type: 'add', phases: ['deploy', 'run'], option: '-e A=1' }, withOne)).toEqual([{ type: 'DockerOptionAdded', data: { phases: ['run'], option: '-e A=1' } }]);
    expect(() => decideDockerOptions({ type: 'remove', phases: ['run'], option: '-e A=1' }, withOne)).toThrow(/not set/);
    expect(decideDockerOptions({ type: 'clear', phases: ['build', 'deploy', 'run'] }, withOne)).toEqual([{ type: 'DockerOptionsCleared', data: { phases: ['deploy'] } }]);
    expect(() => decideDockerOptions({ type: 'add', phases: ['deploy'], option: '--bogus' }, doc)).toThrow(/Unsupported/);
  });
});

describe('containers get the options of their phase', () => {
  const release = (deploy: string[], run: string[]): ReleaseSpec => ({
    app: 'web',
    version: 3,
    image: 'img',
    env: { A: 'config', KEEP: '1' },
    processTypes: { web: 'serve' },
    webPort: 5000,
    healthchecks: {},
    run: { ...emptyRunSettings(), dockerOptions: { build: [], deploy, run } },
  });

  it('deploy options on process containers, over config but never over the platform or identity', () => {
    const spec = containerSpec(release(['-e A=option -e PORT=1 --label team=x --shm-size 64m'], []), 'web', 1, { hostPort: 40000 });
    expect(spec.Env).toContain('A=option');
    expect(spec.Env).not.toContain('A=config');
    expect(spec.Env).toContain('KEEP=1');
    expect(spec.Env).toContain('PORT=5000');
    expect(spec.Env).not.toContain('PORT=1');
    expect(spec.Labels).toMatchObject({ team: 'x', 'com.dokku.app': 'web', 'com.dokku.release': '3' });
    expect(spec.HostConfig).toMatchObject({ ShmSize: 64 * 1024 ** 2, Init: true, PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '40000' }] } });
  });

  it('run options on one-offs, deploy options on the release phase', () => {
    const r = release(['--shm-size 64m'], ['--add-host x:10.0.0.1']);
    expect(oneOffSpec(r, { processType: 'run', command: ['sh'], id: '1' }).HostConfig).toMatchObject({ ExtraHosts: ['x:10.0.0.1'] });
    expect(oneOffSpec(r, { processType: 'run', command: ['sh'], id: '1' }).HostConfig).not.toHaveProperty('ShmSize');
    expect(oneOffSpec(r, { processType: 'release', command: ['sh'], id: '1' }).HostConfig).toMatchObject({ ShmSize: 64 * 1024 ** 2 });
  });
});
