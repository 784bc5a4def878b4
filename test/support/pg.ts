/**
 * A PostgreSQL database of its own for a test file. The server is the one
 * scripts/pg-test-setup.sh brings up (CI exports MKT_TEST_PG_URL and MKT_TEST_PG=required).
 * With MKT_TEST_PG=required a server that does not answer fails the tests; otherwise they are
 * skipped, and the run says so in one line: the server is asked once per run, by
 * ./pg-global-setup.ts, which also prints that line (a file run outside that setup asks itself
 * and prints it itself).
 */
import pg from 'pg';
import { inject } from 'vitest';
import { redactUrl } from '../../src/db/target.js';

export const PG_BASE_URL = process.env.MKT_TEST_PG_URL ?? 'postgres://mkt_test:mkt_test_only_password@127.0.0.1:5432/mkt_test';
export const PG_REQUIRED = process.env.MKT_TEST_PG === 'required';

export interface PgTestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Whether the test server answers, and if not why (the URL redacted). */
export type PgServer = { up: true } | { up: false; why: string };

export async function probePgServer(url: string): Promise<PgServer> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return { up: true };
  } catch (error) {
    return { up: false, why: `no PostgreSQL server answers at ${redactUrl(url)} (${(error as Error).message || (error as { code?: string }).code})` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The one line a run without a server prints. */
export function skippedLine(why: string): string {
  return `PostgreSQL store tests skipped: ${why}. Run scripts/pg-test-setup.sh and set MKT_TEST_PG_URL, or MKT_TEST_PG=required to fail instead.`;
}

/** The run's answer (once, from the global setup), or this file's own when it runs without it. */
let server: Promise<PgServer> | undefined;
function pgServer(): Promise<PgServer> {
  server ??= (async () => {
    const provided = inject('pgServer');
    if (provided) return provided;
    const own = await probePgServer(PG_BASE_URL);
    if (!own.up && !PG_REQUIRED) console.warn(skippedLine(own.why));
    return own;
  })();
  return server;
}

/** A new, empty database (dropped by `drop`), or undefined when there is no server and it is not required. */
export async function pgTestDatabase(label: string): Promise<PgTestDatabase | undefined> {
  const probe = await pgServer();
  if (!probe.up) {
    if (PG_REQUIRED) throw new Error(`MKT_TEST_PG=required but ${probe.why}; run scripts/pg-test-setup.sh`);
    return undefined;
  }
  const admin = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 3000 });
  await admin.connect();
  // a name of our own: test files run in parallel, and a crashed run leaves its database behind
  const name = `mkt_t_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_BASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      try {
        // an autovacuum worker on the database (after a large import, say) cannot be terminated
        // by a role that is not a superuser (42501): it finishes within seconds, so wait for it
        for (let attempt = 1; ; attempt++) {
          try {
            await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (e) {
            if ((e as { code?: unknown }).code !== '42501' || attempt >= 30) throw e;
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Drops roles a test made (`CREATE ROLE` is cluster-wide, so each test file names its own). Call
 * it after the test's database is dropped: the roles' privileges went with it, so they own
 * nothing and can go.
 */
export async function dropTestRoles(...roles: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  await admin.connect();
  try {
    for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await admin.end();
  }
}
