/**
 * The mark a move up leaves on an SQLite file (`store_moved`, one row): after `mkt db copy
 * FILE postgres://…` the ledger that knows who was sent what lives in PostgreSQL, and the file
 * still answers as the workspace's default store. A send from it would send again every message
 * already sent there; so while the mark is there, every command that would write to the file or
 * send from it refuses (78, `store_moved`, naming where it went), reads warn, and `db copy` may
 * still read it. A copy back down into the file removes the mark: it is the live store again.
 *
 * The mark holds host, port and database only: never a user name or a password.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';

export interface MovedTo {
  host: string;
  port: number;
  database: string;
  movedAt: number;
}

/** Where a connection string points, as the mark keeps it (no user, no password, no options). */
export function movedLocation(url: string): Omit<MovedTo, 'movedAt'> {
  const u = new URL(url);
  return { host: u.hostname || 'localhost', port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres' };
}

/** `postgres://host:port/database`: the mark as a person reads it (and a URL to start MKT_DB from). */
export function describeMove(m: Omit<MovedTo, 'movedAt'>): string {
  return `postgres://${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}/${m.database}`;
}

/** The file's mark, if it was moved. */
export function movedTo(sqlite: Database.Database): MovedTo | undefined {
  return sqlite.prepare('SELECT host, port, database, moved_at AS movedAt FROM store_moved WHERE id = 1').get() as MovedTo | undefined;
}

/**
 * The mark of a file on disk, read on a connection of its own (read-only, never created): for a
 * process whose store is elsewhere (the PostgreSQL the file was moved to, replaying what a
 * `mkt serve` spooled beside the file after the move). Undefined when unmarked or unreadable.
 */
export function fileMovedTo(file: string): MovedTo | undefined {
  let db: Database.Database | undefined;
  try {
    // loaded here, not at the top: a PostgreSQL process (serve, isStoreMoved) needs no native SQLite otherwise
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    db = new Sqlite(file, { readonly: true, fileMustExist: true });
    return movedTo(db);
  } catch {
    return undefined; // no file, or one from before the mark's table: not moved
  } finally {
    db?.close();
  }
}

/** Whether two marks (or a mark and `movedLocation(url)`) name the same database. */
export function sameLocation(a: Omit<MovedTo, 'movedAt'>, b: Omit<MovedTo, 'movedAt'>): boolean {
  return a.host === b.host && a.port === b.port && a.database === b.database;
}

/** Whether an error is the refusal of a moved file (`storeMovedError`). */
export function isStoreMoved(e: unknown): e is ConfigError {
  return e instanceof ConfigError && e.code === 'store_moved';
}

/** Marks the file moved to `url` (inside the caller's transaction: the copy's, on the source). */
export function markMoved(sqlite: Database.Database, url: string, now: number): void {
  const m = movedLocation(url);
  sqlite.prepare('INSERT OR REPLACE INTO store_moved (id, host, port, database, moved_at) VALUES (1, ?, ?, ?, ?)').run(m.host, m.port, m.database, now);
}

/** The file is the live store again (a copy down into it, in the copy's transaction). */
export function clearMoved(sqlite: Database.Database): void {
  sqlite.prepare('DELETE FROM store_moved').run();
}

/** What a read of a moved file says on stderr. */
export function movedWarning(file: string, m: MovedTo): string {
  return `${file} was moved to ${describeMove(m)} on ${new Date(m.movedAt).toISOString()}; this is the old copy and may be out of date (set MKT_DB or --db to that database to read the live store)`;
}

/** Why a write to (or a send from) a moved file is refused: 78, naming where it went and how to point there. */
export function storeMovedError(file: string, m: MovedTo): ConfigError {
  const where = describeMove(m);
  return new ConfigError('store_moved', `${file} was moved to ${where} on ${new Date(m.movedAt).toISOString()} (mkt db copy); not writing to or sending from the old copy, which would send again what was sent there`, {
    hint: `point mkt at the live store: export MKT_DB='postgres://USER:PASSWORD@${where.slice('postgres://'.length)}' (or pass --db); to make this file the live store again, copy back down into it: mkt db copy "$MKT_DB" ${file} --replace`,
    details: { path: file, moved_to: where, moved_at: new Date(m.movedAt).toISOString() },
  });
}
