/**
 * Without a PostgreSQL server a test run says once that the PostgreSQL tests were skipped, and
 * how to run them, however many PostgreSQL test files it runs (the server is asked once, by
 * test/support/pg-global-setup.ts); with MKT_TEST_PG=required the same run fails. Runs vitest
 * itself, on two PostgreSQL test files, against a port where nothing listens.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';

const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const FILES = ['test/unit/db/pg-workers.test.ts', 'test/unit/db/pg-copy-back.test.ts'];

function vitestRun(required: boolean) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', MKT_TEST_PG_URL: 'postgres://mkt_test:not-the-password@127.0.0.1:1/mkt_test', ...(required ? { MKT_TEST_PG: 'required' } : {}) };
  const r = spawnSync(process.execPath, [VITEST, 'run', ...FILES], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('the PostgreSQL tests without a server', () => {
  it('skip with one line for the whole run, saying how to run them', () => {
    const r = vitestRun(false);
    expect(r.code, r.output).toBe(0);
    const lines = r.output.split('\n').filter((l) => l.includes('PostgreSQL store tests skipped'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/127\.0\.0\.1:1/);
    expect(lines[0]).toMatch(/scripts\/pg-test-setup\.sh/);
    expect(lines[0]).toMatch(/MKT_TEST_PG=required/);
    expect(r.output).not.toContain('not-the-password');
  });

  it('fail with MKT_TEST_PG=required', () => {
    const r = vitestRun(true);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/MKT_TEST_PG=required but no PostgreSQL server answers/);
    expect(r.output).toMatch(/Test Files .*2 failed/);
  });
});
