/**
 * Opt-outs and provider events that `mkt serve` spooled while the database was locked (SQLite)
 * or unreachable (PostgreSQL), and could not replay before it stopped, are applied by the next
 * command that writes: a send or prepare must never miss an opt-out the server already answered
 * 200 for.
 */
import type { TrackingStore } from '../db/tracking-store.js';
import { recordApplier, type ServeRecord } from './serve-records.js';
import { DurableQueue } from './serve-spool.js';

/** Applies the spools of servers that are gone (beside `spoolBase`); returns how many records it applied. */
export function replayServeSpools(store: TrackingStore, spoolBase: string, log: (line: string) => void): Promise<number> {
  return DurableQueue.replayOrphans<ServeRecord>({ dbFile: spoolBase, apply: recordApplier(store, log), retryable: (e) => store.refused(e), log });
}
