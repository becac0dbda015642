/**
 * A small seeded generator (mulberry32) so randomized tests replay exactly from their printed seed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Picker {
  (): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function picker(seed: number): Picker {
  const next = seededRandom(seed);
  const p = (() => next()) as Picker;
  p.int = (n) => Math.floor(next() * n);
  p.pick = (items) => items[Math.floor(next() * items.length)]!;
  p.chance = (prob) => next() < prob;
  return p;
}

/** The seed from DOKKU_TEST_SEED, or a fresh one; tests print it so a failure can be replayed. */
export function testSeed(): number {
  const fromEnv = process.env.DOKKU_TEST_SEED;
  return fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}
