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
import { MktError, ResumableStop } from '../../errors.js';
import { redactUrl } from '../target.js';
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
  /** how long a connection (and the migration lock) may be waited for: the pool's connectionTimeoutMillis */
  connectWithinMs: number;
  close(): Promise<void>;
}

// src/db/pg/open.ts and dist/db/pg/open.js both sit three levels below the package root.
const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle/pg');
/** Where drizzle records applied migrations: beside the tables, so one schema holds everything. */
export const MIGRATIONS_TABLE = { migrationsFolder: MIGRATIONS, migrationsSchema: 'public', migrationsTable: '__drizzle_migrations' };
/** The advisory lock (two-int key space) that serialises migrations: 'mkt' and 1. */
const MIGRATE_LOCK = [0x6d6b74, 1] as const;

/**
 * How long a new connection may take to be ready (TCP, TLS, login) when MKT_DB_CONNECT_S does
 * not say: far above what a healthy server over a WAN needs (a few round trips), so only a
 * server that does not answer at all (hung, or a firewall that swallows packets) meets it.
 */
export const DEFAULT_CONNECT_WITHIN_MS = 15_000;
/** How often a process waiting for the migration lock asks for it again. */
const LOCK_POLL_MS = 100;

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
 * (default 10; a send sizes it from its concurrency); `connectWithinMs` bounds every wait for a
 * connection (default DEFAULT_CONNECT_WITHIN_MS). Both are the first opener's: later calls for
 * the same URL share its pool.
 */
export function openPgStore(url: string, opts: { max?: number; connectWithinMs?: number } = {}): Promise<PgStore> {
  let store = open.get(url);
  if (!store) {
    store = connect(url, opts.max ?? 10, opts.connectWithinMs ?? DEFAULT_CONNECT_WITHIN_MS);
    open.set(url, store);
    // a failed open is not cached: the next attempt tries again
    store.catch(() => open.delete(url));
  }
  return store;
}

async function connect(url: string, max: number, connectWithinMs: number): Promise<PgStore> {
  // connectionTimeoutMillis (pg-pool): a new connection not ready for queries by then is
  // destroyed ("Connection terminated due to connection timeout"), and a wait for a free one in
  // a full pool ends ("timeout exceeded when trying to connect"); both are connection errors
  // (../connection-errors.ts). It bounds connecting only: an answer that never comes to a query
  // on a live connection is TransactionLimits.answerWithinMs' (not query_timeout: see ./transaction.ts).
  const pool = new pg.Pool({ connectionString: url, max, types, application_name: 'mkt', connectionTimeoutMillis: connectWithinMs });
  // an idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query on the pool reports the problem instead.
  pool.on('error', () => {});
  const store: PgStore = {
    kind: 'postgres',
    url,
    pool,
    db: drizzle(pool, { schema }),
    appliedOnOpen: 0,
    connectWithinMs,
    close: async () => {
      open.delete(url);
      await pool.end();
    },
  };
  try {
    store.appliedOnOpen = (await migratePg(store)).applied;
  } catch (cause) {
    await pool.end().catch(() => {});
    throw cause instanceof MktError ? cause : openFailure(url, cause, { connectWithinMs });
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
    await migrateLockWithin(client, store);
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

/**
 * The migration lock, waited for no longer than a connection: another process holding it past
 * that (a migration that long, or a process stopped while holding it) is a busy store, as a
 * locked SQLite file is (75, `database_locked`). Asked with pg_try_advisory_lock, so the wait is
 * ours to end: a blocked pg_advisory_lock could only be given up by destroying its connection.
 */
async function migrateLockWithin(client: pg.PoolClient, store: PgStore): Promise<void> {
  const end = Date.now() + store.connectWithinMs;
  for (;;) {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [...MIGRATE_LOCK]);
    if (r.rows[0]?.ok) return;
    if (Date.now() >= end) {
      throw new ResumableStop('database_locked', `another process has held the migration lock of ${redactUrl(store.url)} for ${store.connectWithinMs / 1000} s; nothing was changed`, {
        hint: 'another mkt process is migrating this database (or stopped while doing so): wait for it to finish, then run the command again; MKT_DB_CONNECT_S sets how long to wait',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

async function appliedCount(client: pg.PoolClient): Promise<number> {
  // two statements: PostgreSQL resolves every table a statement names before running it
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('public.__drizzle_migrations') AS t`);
  if (!exists.rows[0]?.t) return 0;
  return Number((await client.query<{ n: number }>('SELECT count(*) AS n FROM public.__drizzle_migrations')).rows[0]!.n);
}
