import { describe, expect, it } from 'vitest';
import { LABEL } from '../../../src/lib/labels.ts';
import { containerSpec, oneOffSpec } from '../../../src/runtime/container-spec.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

const release: ReleaseSpec = { app: 'shop', version: 3, image: 'dokku/shop:build-3', env: {}, processTypes: { web: 'serve' }, webPort: 5000, healthchecks: {} };

describe('container labels: one module of names', () => {
  it('spells each name once, under com.dokku.', () => {
    const names = Object.values(LABEL);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^com\.dokku\.[a-z-]+$/);
    expect(LABEL.app).toBe('com.dokku.app');
  });

  it('the containers a release runs carry only these names', () => {
    const known = new Set<string>(Object.values(LABEL));
    const specs = [containerSpec(release, 'web', 1), oneOffSpec(release, { processType: 'run', command: [], id: 'x' })];
    for (const spec of specs) {
      expect(Object.keys(spec.Labels ?? {}).length).toBeGreaterThan(0);
      for (const key of Object.keys(spec.Labels ?? {})) expect(known.has(key), key).toBe(true);
      expect(spec.Labels?.[LABEL.app]).toBe('shop');
    }
  });
});
