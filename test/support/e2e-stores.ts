/**
 * An e2e test run against both stores: the workspace's SQLite file, or a PostgreSQL database of
 * the test's own that the workspace's SQLite data was copied into (`mkt db copy`, so customers
 * keep their ids and a run on either store sees the same data). Tests read and arrange the
 * ledger through `query` / `exec` (`?` placeholders on both) and run the CLI with `env`.
 */
import pg from 'pg';
import { runCli } from './cli.js';
import { readQuery } from './campaign-workspace.js';
import { pgTestDatabase } from './pg.js';

export interface E2eStore {
  name: 'sqlite' | 'postgres';
  /** extra environment for the CLI: MKT_DB on PostgreSQL */
  env: NodeJS.ProcessEnv;
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  exec(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** The workspace's own SQLite file. */
export function sqliteE2eStore(file: string): E2eStore {
  const query = readQuery(file);
  return {
    name: 'sqlite',
    env: {},
    query: async <T,>(sql: string, ...params: unknown[]) => query<T>(sql, ...params),
    exec: async (sql, ...params) => {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(file);
      try {
        db.prepare(sql).run(...params);
      } finally {
        db.close();
      }
    },
    close: async () => {},
  };
}

/**
 * A new PostgreSQL database holding a copy of the SQLite workspace database `file` (undefined
 * when there is no server and it is not required: see ./pg.ts). count(*) reads as a number, as
 * on SQLite.
 */
export async function pgE2eStore(label: string, dir: string, file: string): Promise<E2eStore | undefined> {
  const db = await pgTestDatabase(label);
  if (!db) return undefined;
  // a copy of a snapshot, not a move: the test goes on with the SQLite file beside PostgreSQL,
  // and a file copied up itself is marked moved (writes to it refuse)
  const snapshot = `${file}.copy-source`;
  const backed = runCli(['db', 'backup', snapshot, '--force'], { cwd: dir, env: { MKT_DB: file } });
  if (backed.code !== 0) throw new Error(`db backup failed: ${backed.stderr}`);
  const copied = runCli(['db', 'copy', snapshot, db.url], { cwd: dir });
  if (copied.code !== 0) throw new Error(`db copy failed: ${copied.stderr}`);
  const int8: number = pg.types.builtins.INT8;
  const pool = new pg.Pool({
    connectionString: db.url,
    max: 2,
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === int8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  // a connection the drop ends (WITH FORCE) is expected to go; heard so it does not crash the test
  pool.on('error', () => {});
  return {
    name: 'postgres',
    env: { MKT_DB: db.url },
    query: async <T,>(sql: string, ...params: unknown[]) => (await pool.query(numbered(sql), params)).rows as T[],
    exec: async (sql, ...params) => void (await pool.query(numbered(sql), params)),
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}
