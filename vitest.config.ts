import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Integration suites share one Docker daemon and nginx; files run one at a time per worker.
    pool: 'forks',
    maxWorkers: 2,
  },
});
