import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { ConfigError } from '../errors.js';
import { makePrivateDirs, onPseudoFileSystem } from '../util/private-file.js';
import { storageError } from './faults.js';
import type { StoredAddressRecheck } from './address-recheck-sql.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

/** An open store: the drizzle handle for ordinary queries, the raw handle for hot paths. */
export interface Store {
  db: Db;
  sqlite: Database.Database;
  path: string;
  /** Things the operator should hear about (a private folder that had to be tightened). */
  warnings: string[];
  close(): void;
}

/**
 * `read`: the database must already exist; nothing is created (read commands, so that a
 * mistyped --db / MKT_DB / -w is an error, not a fresh empty database that answers 0).
 * `write`: the folder and file are created when missing.
 */
export type OpenMode = 'read' | 'write';

export interface OpenOptions {
  /**
   * Run once the schema is current: brings rows stored under an older canonical address rule
   * to the current one (src/customers/recheck.ts). Passed in by the caller because the rule
   * lives in src/customers, above the store; every command's store (src/cli/context.ts) passes it.
   */
  recheck?: StoredAddressRecheck;
}

// src/db/open.ts and dist/db/open.js both sit two levels below the package root.
export const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * Opens the SQLite store and brings its schema up to date. In `write` mode the folder and file
 * are created private (0700 / 0600) before SQLite touches them: the store holds customer data.
 * Every SQLite failure on the way is typed by src/db/faults.ts.
 */
export function openStore(file: string, mode: OpenMode = 'write', options: OpenOptions = {}): Store {
  const warnings: string[] = [];
  if (file !== ':memory:') prepareFile(file, mode, warnings);
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(file, { fileMustExist: file !== ':memory:' });
    sqlite.pragma('journal_mode = WAL');
    // Every commit reaches the disk before it returns (WAL fsync). With NORMAL a WAL commit is
    // only synced at the next checkpoint, so a power cut could undo the claim of a message the
    // provider already has (and the resumed send would send it again) or an unsubscribe. The one
    // hot write that may be lost safely, a batch of send outcomes, relaxes this (Ledger.record).
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // Another mkt process (e.g. a concurrent send) may hold the write lock briefly.
    sqlite.pragma('busy_timeout = 5000');
    const db = drizzle(sqlite, { schema });
    migrate(db, { migrationsFolder: MIGRATIONS });
    // once per database: rows stored before the canonical address rule are brought to it
    options.recheck?.(sqlite, Date.now());
    const handle = sqlite;
    return { db, sqlite: handle, path: file, warnings, close: () => handle.close() };
  } catch (cause) {
    sqlite?.close();
    throw storageError(cause, file) ?? new ConfigError('db_open_failed', `cannot open the database ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Checks (and in `write` mode creates) the database file before SQLite opens it. */
function prepareFile(file: string, mode: OpenMode, warnings: string[]): void {
  const abs = path.resolve(file);
  let exists = true;
  try {
    const st = statSync(abs);
    // SQLite would happily try to lock and write a character device or a /proc file (and
    // Node's recursive mkdir spins forever under /proc): refuse before anything touches it.
    if (!st.isFile()) throw notADatabase(file, st.isDirectory() ? 'it is a folder' : 'it is not a regular file');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw notADatabase(file, `cannot reach it (${code})`);
    exists = false;
  }
  if (onPseudoFileSystem(abs)) throw notADatabase(file, 'it is on a kernel pseudo file system (/proc, /sys, …)');
  if (!exists && mode === 'read') {
    throw new ConfigError('no_database', `no database at ${file}; import customers first or pass --db`, {
      hint: 'read commands never create one: check --db / MKT_DB / -w, or run `mkt customers import <file>` to start',
      details: { path: file },
    });
  }
  tightenMktFolder(path.dirname(abs), warnings);
  if (exists) return;
  try {
    makePrivateDirs(path.dirname(abs));
    closeSync(openSync(abs, 'a', 0o600));
  } catch (cause) {
    throw new ConfigError('db_unwritable', `cannot create the database at ${file}: ${(cause as Error).message}`, {
      cause,
      hint: 'check --db / MKT_DB and the folder permissions',
    });
  }
}

/** The workspace's `.mkt/` holds customer data: an existing one open to others is closed, loudly. */
function tightenMktFolder(dir: string, warnings: string[]): void {
  if (path.basename(dir) !== '.mkt') return;
  try {
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o077) === 0) return;
    chmodSync(dir, 0o700);
    warnings.push(`${dir} was open to other users (mode ${mode.toString(8).padStart(4, '0')}); tightened it to 0700`);
  } catch {
    // missing (created private below) or not ours to change: SQLite will report what matters
  }
}

function notADatabase(file: string, why: string): ConfigError {
  return new ConfigError('not_a_database', `${file} can never be a database: ${why}`, { hint: 'pass --db (or MKT_DB) a path to a regular file on a real disk' });
}
