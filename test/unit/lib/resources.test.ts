import { describe, expect, it } from 'vitest';
import { memoryBytes, resourceHostConfig, resourceSetProblem, resourceValueProblem } from '../../../src/lib/resources.ts';
import { decideResources } from '../../../src/state/resource-decider.ts';
import { emptyRunSettings } from '../../../src/lib/run-settings.ts';

const MIB = 1024 * 1024;

describe('resource values', () => {
  it('reads memory as Dokku does: bare numbers are megabytes', () => {
    expect(memoryBytes('256')).toBe(256 * MIB);
    expect(memoryBytes('1g')).toBe(1024 * MIB);
    expect(memoryBytes('512m')).toBe(512 * MIB);
    expect(memoryBytes('1k')).toBeUndefined();
    expect(memoryBytes('-1')).toBeUndefined();
    expect(memoryBytes('1e30')).toBeUndefined();
    expect(memoryBytes('2048g')).toBeUndefined();
  });

  it.each([
    ['cpu', 'abc'],
    ['cpu', '0'],
    ['cpu', '-1'],
    ['memory', '-1'],
    ['memory', '1e30'],
    ['pids', '0'],
    ['pids', '1.5'],
    ['nvidia-gpu', '0'],
  ] as const)('refuses %s=%s', (key, value) => {
    expect(resourceValueProblem(key, value)).toMatch(new RegExp(`^Invalid ${key} '`));
  });

  it('refuses swap below memory', () => {
    expect(resourceSetProblem({ memory: '512', 'memory-swap': '256' })).toMatch(/memory-swap must be at least memory/);
    expect(resourceSetProblem({ memory: '512', 'memory-swap': '1g' })).toBeUndefined();
  });
});

describe('resources in Docker', () => {
  it('a process type gets its own values over the defaults', () => {
    const run = {
      limits: { _default_: { memory: '256', cpu: '0.5', pids: '100' }, web: { memory: '1g' }, gpu: { 'nvidia-gpu': 'all' } },
      reservations: { _default_: { memory: '128', cpu: '0.25' } },
    };
    expect(resourceHostConfig(run, 'web')).toEqual({ Memory: 1024 * MIB, NanoCpus: 0.5e9, PidsLimit: 100, MemoryReservation: 128 * MIB, CpuShares: 256 });
    expect(resourceHostConfig(run, 'worker')).toMatchObject({ Memory: 256 * MIB });
    expect(resourceHostConfig(run, 'gpu').DeviceRequests).toEqual([{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
    expect(resourceHostConfig({ limits: {}, reservations: {} }, 'web')).toEqual({});
  });

  it('decides only what changes', () => {
    const doc = { ...emptyRunSettings(), limits: { web: { memory: '256' } } };
    expect(decideResources({ type: 'set', kind: 'limit', processType: 'web', values: { memory: '256' } }, doc)).toEqual([]);
    expect(decideResources({ type: 'set', kind: 'limit', processType: 'web', values: { memory: '256', cpu: '1' } }, doc)).toEqual([
      { type: 'ResourceSet', data: { kind: 'limit', processType: 'web', values: { cpu: '1' } } },
    ]);
    expect(decideResources({ type: 'clear', kind: 'reserve' }, doc)).toEqual([]);
    expect(decideResources({ type: 'clear', kind: 'limit', processType: 'web' }, doc)).toEqual([{ type: 'ResourceCleared', data: { kind: 'limit', processType: 'web' } }]);
  });
});
