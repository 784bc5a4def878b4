/**
 * Opt-outs and provider events that `mkt serve` spooled while the database was locked (SQLite)
 * or unreachable (PostgreSQL), and could not replay before it stopped, are applied by the next
 * command that writes: a send or prepare must never miss an opt-out the server already answered
 * 200 for.
 *
 * A server that was running on the workspace's SQLite file when `mkt db copy` moved it to
 * PostgreSQL spools beside that file from then on (serve.ts): those spools belong to the
 * PostgreSQL database the file's mark names, and the next command writing to that database from
 * this workspace (a `mkt serve` restarted with MKT_DB) replays them there, once.
 */
import { fileMovedTo, movedLocation, sameLocation, describeMove } from '../db/store-moved.js';
import type { TrackingStore } from '../db/tracking-store.js';
import { recordApplier, type ServeRecord } from './serve-records.js';
import { DurableQueue, hasSpools } from './serve-spool.js';

/** Applies the spools of servers that are gone (beside `spoolBase`); returns how many records it applied. */
export function replayServeSpools(store: TrackingStore, spoolBase: string, log: (line: string) => void): Promise<number> {
  return DurableQueue.replayOrphans<ServeRecord>({ dbFile: spoolBase, apply: recordApplier(store, log), retryable: (e) => store.refused(e), log });
}

/**
 * What replaying a moved file's spools did: records applied (0: no spool), the database they
 * wait for instead, or `live`: the file is not marked moved, its spools are its own.
 */
export type MovedReplay = { applied: number } | { waitFor: string } | { live: true };

/**
 * Replays into the PostgreSQL store at `url` the spools of stopped servers beside the SQLite
 * file `file` when the file is marked moved to this very database (host, port and database);
 * spools of a file moved elsewhere wait for that database (`waitFor`). One readdir when there is
 * nothing to replay.
 */
export async function replayMovedSpools(store: TrackingStore, url: string, file: string, log: (line: string) => void): Promise<MovedReplay> {
  if (!hasSpools(file)) return { applied: 0 };
  const mark = fileMovedTo(file);
  if (!mark) return { live: true }; // its spools are its own (replayed by a command writing to it)
  if (!sameLocation(mark, movedLocation(url))) return { waitFor: describeMove(mark) };
  return { applied: await replayServeSpools(store, file, log) };
}
