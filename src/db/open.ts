import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { ConfigError } from '../errors.js';
import { recheckStoredAddresses } from '../customers/recheck.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

/** An open store: the drizzle handle for ordinary queries, the raw handle for hot paths. */
export interface Store {
  db: Db;
  sqlite: Database.Database;
  path: string;
  close(): void;
}

// src/db/open.ts and dist/db/open.js both sit two levels below the package root.
export const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * Opens (creating if needed) the SQLite store and brings its schema up to date.
 * The folder and file are created private (0700 / 0600) before SQLite touches them:
 * the store holds customer data.
 */
export function openStore(file: string): Store {
  const isMemory = file === ':memory:';
  if (!isMemory) {
    const dir = path.dirname(path.resolve(file));
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    } catch (cause) {
      throw new ConfigError('db_unwritable', `cannot create the database at ${file}`, {
        cause,
        hint: 'check --db / MKT_DB and the folder permissions',
      });
    }
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    // Every commit reaches the disk before it returns (WAL fsync). With NORMAL a WAL commit is
    // only synced at the next checkpoint, so a power cut could undo the claim of a message the
    // provider already has (and the resumed send would send it again) or an unsubscribe. The one
    // hot write that may be lost safely, a batch of send outcomes, relaxes this (Ledger.record).
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // Another mkt process (e.g. a concurrent send) may hold the write lock briefly.
    sqlite.pragma('busy_timeout = 5000');
  } catch (cause) {
    throw new ConfigError('db_open_failed', `cannot open the database ${file}: ${(cause as Error).message}`, { cause });
  }
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  // once per database: rows stored before the canonical address rule are brought to it
  recheckStoredAddresses(sqlite, Date.now());
  return { db, sqlite, path: file, close: () => sqlite.close() };
}
