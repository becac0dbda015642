import { describe, expect, it } from 'vitest';
import { ago, oneOffJson, oneOffTable } from '../../../src/cli/run-list.ts';
import { oneOffEnv } from '../../../src/cli/run.ts';
import type { ContainerStatus } from '../../../src/runtime/scheduler.ts';

const c: ContainerStatus = {
  id: 'f'.repeat(64), name: 'shop.run.1a2b3c', app: 'shop', processType: 'run', index: undefined, release: 3,
  state: 'running', hostPort: undefined, oneOff: true, command: 'sleep 15', created: 1_000,
};

describe('run:list', () => {
  it("prints Dokku's columns", () => {
    expect(oneOffTable([c], 1_002_000)).toEqual(['NAMES            COMMAND     CREATED', 'shop.run.1a2b3c  "sleep 15"  2 seconds ago']);
    expect(oneOffTable([], 0)).toEqual(['NAMES  COMMAND  CREATED']);
  });
  it('says how long ago', () => {
    expect(ago(0, 61_000)).toBe('1 minute ago');
    expect(ago(0, 2 * 86_400_000)).toBe('2 days ago');
  });
  it('gives json fields', () => {
    expect(oneOffJson(c)).toEqual({ name: 'shop.run.1a2b3c', app: 'shop', state: 'running', command: 'sleep 15', created_at: '1970-01-01T00:16:40.000Z' });
  });
});

describe('run --env', () => {
  it('takes repeated KEY=VALUE pairs', () => {
    expect(oneOffEnv(['A=1', 'B=x=y'])).toEqual({ A: '1', B: 'x=y' });
    expect(oneOffEnv('A=1')).toEqual({ A: '1' });
    expect(oneOffEnv(undefined)).toEqual({});
  });
  it('refuses bad keys and missing =', () => {
    expect(() => oneOffEnv(['1A=1'])).toThrow(/Invalid config key/);
    expect(() => oneOffEnv(['A'])).toThrow(/Expected KEY=VALUE/);
    expect(() => oneOffEnv(['A=' + 'x'.repeat(70_000)])).toThrow(/too long/);
  });
});
