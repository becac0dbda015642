import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // They restart the shared Docker daemon: vitest.restart.config.ts runs them after the rest.
    exclude: ['**/node_modules/**', 'test/restart/**'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Integration suites share one Docker daemon and nginx; files run one at a time per worker.
    pool: 'forks',
    maxWorkers: 2,
  },
});
