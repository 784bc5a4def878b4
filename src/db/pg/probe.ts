/**
 * What `mkt doctor` asks a PostgreSQL store, reading only: it connects once (with a short
 * deadline, so a server that does not answer fails the check instead of hanging it), and never
 * migrates or creates anything, unlike opening the store. Failures are typed as opening
 * would type them (pg/errors.ts openFailure): no password 78, unreachable or refused 69.
 */
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { MIGRATIONS_TABLE } from './open.js';
import { openFailure } from './errors.js';

/** How long doctor waits for a connection: long enough for a distant server, short enough for a report. */
export const PROBE_CONNECT_TIMEOUT_MS = 5000;

export interface PgProbe {
  serverVersion: string;
  role: string;
  /** migrations applied in the database, and how many this mkt has */
  applied: number;
  total: number;
  /** mkt's tables the role may not INSERT, UPDATE and DELETE in */
  unwritable: string[];
  tables: number;
  /** whether the role may create in schema public (the owner, which runs `db migrate`) */
  canCreate: boolean;
}

export async function probePgStore(url: string, timeoutMs = PROBE_CONNECT_TIMEOUT_MS): Promise<PgProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'mkt doctor' });
  // an error after connect (the server going away) is reported by the query that meets it
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.query<{ v: string; role: string; create: boolean; migrations: string | null }>(
      `SELECT current_setting('server_version') AS v, current_user AS role, has_schema_privilege('public', 'CREATE') AS create,
              to_regclass('public.${MIGRATIONS_TABLE.migrationsTable}')::text AS migrations`,
    );
    const row = info.rows[0]!;
    const applied = row.migrations ? Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${MIGRATIONS_TABLE.migrationsTable}`)).rows[0]!.n) : 0;
    const tables = await client.query<{ name: string; writable: boolean }>(
      `SELECT c.relname AS name, has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE') AS writable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1 ORDER BY c.relname`,
      [MIGRATIONS_TABLE.migrationsTable],
    );
    return {
      serverVersion: row.v,
      role: row.role,
      applied,
      total: readMigrationFiles(MIGRATIONS_TABLE).length,
      unwritable: tables.rows.filter((t) => !t.writable).map((t) => t.name),
      tables: tables.rows.length,
      canCreate: row.create,
    };
  } catch (cause) {
    throw openFailure(url, cause);
  } finally {
    await client.end().catch(() => {});
  }
}
