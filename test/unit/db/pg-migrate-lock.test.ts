/**
 * Opening a PostgreSQL store waits for the migration lock no longer than for a connection
 * (src/db/pg/open.ts, MKT_DB_CONNECT_S): another session holding it past that is a busy store,
 * 75 `database_locked` as a locked SQLite file is, with nothing migrated; once it lets go the
 * same open succeeds.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MktError } from '../../../src/errors.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('migrate_lock');
/** The key src/db/pg/open.ts serialises migrations on: 'mkt' and 1. */
const MIGRATE_LOCK = [0x6d6b74, 1];
let holder: pg.Client;

beforeAll(async () => {
  if (!pgDb) return;
  holder = new pg.Client({ connectionString: pgDb.url });
  await holder.connect();
});
afterAll(async () => {
  await holder?.end();
  await pgDb?.drop();
});

describe.skipIf(!pgDb)('the migration lock on open', () => {
  it('held by another session past the connect deadline: 75 database_locked, nothing migrated; free again, the open succeeds', async () => {
    await holder.query('SELECT pg_advisory_lock($1, $2)', MIGRATE_LOCK);
    const failed = await openPgStore(pgDb!.url, { connectWithinMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(MktError);
    expect((failed as MktError).code).toBe('database_locked');
    expect(exitCodeFor(failed)).toBe(75);
    expect((failed as MktError).message).not.toContain(new URL(pgDb!.url).password);
    const tables = await holder.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.rows[0].n).toBe(0);

    await holder.query('SELECT pg_advisory_unlock($1, $2)', MIGRATE_LOCK);
    const store = await openPgStore(pgDb!.url, { connectWithinMs: 1000 });
    try {
      expect(store.appliedOnOpen).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
