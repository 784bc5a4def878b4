/**
 * Opt-outs and provider events that `mkt serve` spooled while the database was locked, and
 * could not replay before it stopped, are applied by the next command that writes: a send or
 * prepare must never miss an opt-out the server already answered 200 for.
 */
import { isSqliteError, serveRepository } from '../db/serve-sql.js';
import type { Store } from '../db/open.js';
import { recordApplier, type ServeRecord } from './serve-records.js';
import { DurableQueue } from './serve-spool.js';

/** Applies the spools of servers that are gone; returns how many records it applied. */
export function replayServeSpools(store: Store, dbFile: string, log: (line: string) => void): number {
  return DurableQueue.replayOrphans<ServeRecord>({ dbFile, apply: recordApplier(serveRepository(store), log), retryable: isSqliteError, log });
}
