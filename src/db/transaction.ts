/**
 * Write transactions whose body awaits (a file streamed row by row): better-sqlite3's
 * `transaction()` takes only synchronous functions, so these are BEGIN / COMMIT by hand. The
 * store is used by one connection per process, so nothing else runs SQL on it meanwhile.
 */
import type { Store } from './open.js';

/**
 * Runs `body` in one IMMEDIATE transaction (the write lock is taken at once, so a concurrent
 * writer fails fast instead of mid-file) and commits it, or rolls it back when `body` throws
 * or `keep` is false (a dry run). The body's result is returned either way.
 */
export async function inWriteTransaction<T>(store: Store, body: () => Promise<T>, keep = true): Promise<T> {
  const { sqlite } = store;
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    const result = await body();
    sqlite.exec(keep ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw error;
  }
}

