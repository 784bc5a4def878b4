/**
 * Opens the PostgreSQL store: one pool per process and connection string, its schema brought
 * up to date on first open under an advisory lock (several workers starting at once apply each
 * migration exactly once; the others wait, then find nothing to do). Loaded only for a
 * `postgres://` target (src/db/connect.ts), so SQLite runs never load `pg`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { openFailure } from './errors.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema>;

export interface PgStore {
  kind: 'postgres';
  /** the connection string: holds the password, never print it (use `redactUrl`) */
  url: string;
  pool: pg.Pool;
  db: PgDb;
  /** how many migrations opening applied */
  appliedOnOpen: number;
  close(): Promise<void>;
}

// src/db/pg/open.ts and dist/db/pg/open.js both sit three levels below the package root.
const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle/pg');
/** Where drizzle records applied migrations: beside the tables, so one schema holds everything. */
export const MIGRATIONS_TABLE = { migrationsFolder: MIGRATIONS, migrationsSchema: 'public', migrationsTable: '__drizzle_migrations' };
/** The advisory lock (two-int key space) that serialises migrations: 'mkt' and 1. */
const MIGRATE_LOCK = [0x6d6b74, 1] as const;

/**
 * bigint columns (ids, epoch-ms times, count(*)) as JS numbers: every value mkt stores is far
 * below 2^53. Per pool, so no other user of `pg` in the process is affected.
 */
const INT8_OID: number = pg.types.builtins.INT8;
const defaultParser = (oid: number, format?: 'text' | 'binary'): unknown => (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? Number : defaultParser(oid, format))) as typeof pg.types.getTypeParser,
};

const open = new Map<string, Promise<PgStore>>();

/**
 * The process's store for `url`, opened (and migrated) on first use. `max` sizes the pool
 * (default 10; a send sizes it from its concurrency).
 */
export function openPgStore(url: string, opts: { max?: number } = {}): Promise<PgStore> {
  let store = open.get(url);
  if (!store) {
    store = connect(url, opts.max ?? 10);
    open.set(url, store);
    // a failed open is not cached: the next attempt tries again
    store.catch(() => open.delete(url));
  }
  return store;
}

async function connect(url: string, max: number): Promise<PgStore> {
  const pool = new pg.Pool({ connectionString: url, max, types, application_name: 'mkt' });
  // an idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query on the pool reports the problem instead.
  pool.on('error', () => {});
  const store: PgStore = {
    kind: 'postgres',
    url,
    pool,
    db: drizzle(pool, { schema }),
    appliedOnOpen: 0,
    close: async () => {
      open.delete(url);
      await pool.end();
    },
  };
  try {
    store.appliedOnOpen = (await migratePg(store)).applied;
  } catch (cause) {
    await pool.end().catch(() => {});
    throw openFailure(url, cause);
  }
  return store;
}

/**
 * Applies the migrations not yet applied, holding the migrate lock on one connection. Returns
 * how many were applied now and how many are applied in all.
 */
export async function migratePg(store: PgStore): Promise<{ applied: number; total: number }> {
  const client = await store.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATE_LOCK]);
    try {
      const before = await appliedCount(client);
      // up to date: nothing is run, so a role that may only read and write rows (the
      // least-privilege role in README "PostgreSQL") opens the store; drizzle's migrator would
      // first issue CREATE SCHEMA / CREATE TABLE IF NOT EXISTS, which needs CREATE
      if (before >= readMigrationFiles(MIGRATIONS_TABLE).length) return { applied: 0, total: before };
      await migrate(drizzle(client, { schema }), MIGRATIONS_TABLE);
      const total = await appliedCount(client);
      return { applied: total - before, total };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATE_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function appliedCount(client: pg.PoolClient): Promise<number> {
  // two statements: PostgreSQL resolves every table a statement names before running it
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('public.__drizzle_migrations') AS t`);
  if (!exists.rows[0]?.t) return 0;
  return Number((await client.query<{ n: number }>('SELECT count(*) AS n FROM public.__drizzle_migrations')).rows[0]!.n);
}
