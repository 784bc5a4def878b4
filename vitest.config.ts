import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // generous: e2e tests spawn the CLI many times, and CI machines may be busy
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // e2e tests spawn the built CLI and open real SQLite files; two cores on the build machines
    pool: 'forks',
    maxWorkers: 2,
  },
});
