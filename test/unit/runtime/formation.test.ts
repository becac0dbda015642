import { describe, expect, it } from 'vitest';
import { describeFormation, desiredProcesses, planScale, runnableTypes, slotsFor } from '../../../src/runtime/formation.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

const release = (processTypes: Record<string, string>): ReleaseSpec => ({
  app: 'a', version: 1, image: 'i', env: {}, processTypes, webPort: 5000, healthchecks: {},
});

describe('desiredProcesses', () => {
  it('defaults web to 1 and other types to 0; the release phase never runs as a process', () => {
    const r = release({ web: 'w', worker: 'k', release: 'migrate' });
    expect(desiredProcesses(r, {})).toEqual({ counts: { web: 1, worker: 0 }, unknown: [] });
    expect(desiredProcesses(r, { web: 2, worker: 1, release: 1 })).toEqual({ counts: { web: 2, worker: 1 }, unknown: [] });
  });

  it('reports formation entries the release does not define', () => {
    expect(desiredProcesses(release({ web: 'w' }), { worker: 2, clock: 0 })).toEqual({ counts: { web: 1 }, unknown: ['worker'] });
  });

  it('treats an image without a Procfile as one web process running its CMD', () => {
    expect(runnableTypes(release({}))).toEqual(['web']);
    expect(runnableTypes(release({ release: 'migrate' }))).toEqual(['web']);
  });

  it('allows web=0', () => {
    expect(desiredProcesses(release({ web: 'w' }), { web: 0 }).counts).toEqual({ web: 0 });
  });
});

describe('slotsFor / describeFormation', () => {
  it('numbers containers from 1 per type', () => {
    expect(slotsFor({ web: 2, worker: 1, clock: 0 })).toEqual([
      { processType: 'web', index: 1 },
      { processType: 'web', index: 2 },
      { processType: 'worker', index: 1 },
    ]);
    expect(describeFormation({ web: 2, worker: 0 })).toBe('web=2 worker=0');
  });
});

describe('planScale', () => {
  const c = (processType: string, index: number, id = `${processType}${index}`) => ({ processType, index, id });

  it('adds the missing indexes', () => {
    expect(planScale([c('web', 1)], { web: 3 })).toEqual({ add: [{ processType: 'web', index: 2 }, { processType: 'web', index: 3 }], remove: [] });
  });

  it('removes the highest indexes and types scaled to zero', () => {
    const plan = planScale([c('web', 1), c('web', 2), c('web', 3), c('worker', 1)], { web: 1, worker: 0 });
    expect(plan.add).toEqual([]);
    expect(plan.remove.map((x) => x.id)).toEqual(['web2', 'web3', 'worker1']);
  });

  it('fills holes and drops duplicates of a slot', () => {
    const plan = planScale([c('web', 1, 'a'), c('web', 1, 'b'), c('web', 3)], { web: 2 });
    expect(plan.add).toEqual([{ processType: 'web', index: 2 }]);
    expect(plan.remove.map((x) => x.id)).toEqual(['b', 'web3']);
  });

  it('does nothing when the formation already holds', () => {
    expect(planScale([c('web', 1), c('worker', 1)], { web: 1, worker: 1 })).toEqual({ add: [], remove: [] });
  });
});
