/**
 * A PostgreSQL database of its own for a test file. The server is the one
 * scripts/pg-test-setup.sh brings up (CI exports MKT_TEST_PG_URL and MKT_TEST_PG=required).
 * With MKT_TEST_PG=required a server that does not answer fails the tests; otherwise they are
 * skipped with one line saying so.
 */
import pg from 'pg';
import { redactUrl } from '../../src/db/target.js';

export const PG_BASE_URL = process.env.MKT_TEST_PG_URL ?? 'postgres://mkt_test:mkt_test_only_password@127.0.0.1:5432/mkt_test';
const required = process.env.MKT_TEST_PG === 'required';

export interface PgTestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database (dropped by `drop`), or undefined when there is no server and it is not required. */
export async function pgTestDatabase(label: string): Promise<PgTestDatabase | undefined> {
  const admin = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    const why = `no PostgreSQL server answers at ${redactUrl(PG_BASE_URL)} (${(error as Error).message || (error as { code?: string }).code})`;
    await admin.end().catch(() => {});
    if (required) throw new Error(`MKT_TEST_PG=required but ${why}; run scripts/pg-test-setup.sh`);
    console.warn(`PostgreSQL store tests skipped: ${why}. Run scripts/pg-test-setup.sh and set MKT_TEST_PG_URL, or MKT_TEST_PG=required to fail instead.`);
    return undefined;
  }
  // a name of our own: test files run in parallel, and a crashed run leaves its database behind
  const name = `mkt_t_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_BASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
