import { defineConfig } from 'vitest/config';

/**
 * The tests that restart the machine's Docker daemon: run alone, after every other file (`npm test`
 * runs this second), since a restart disturbs any Docker test running beside it.
 */
export default defineConfig({
  test: {
    include: ['test/restart/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
