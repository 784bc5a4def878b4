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
    // asks the PostgreSQL test server once per run (test/support/pg.ts): one skip line, not one per file
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
});
