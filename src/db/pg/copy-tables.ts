/**
 * What `mkt db copy` moves, whichever way it goes (SQLite → PostgreSQL: ./copy.ts; PostgreSQL →
 * SQLite: ./copy-to-sqlite.ts), and the checks both directions make: the target must be empty
 * unless `replace`, and every table's row count must equal the source's before the commit.
 *
 * The columns come from the PostgreSQL schema (the pg-schema test holds it equal to SQLite's, names
 * and order included), so a column added to both is copied without touching the copy; a new table
 * is added to TABLES or to NOT_COPIED.
 */
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { InputError, ResumableStop, UsageError } from '../../errors.js';
import {
  campaignLinks,
  campaignRecipients,
  campaigns,
  customers,
  engagementEvents,
  engagementHourly,
  engagementKeys,
  engagementSeen,
  feedbackEvents,
  forgottenAddresses,
  senderUsage,
  suppressions,
} from './schema.js';
import { count } from '../../util/plural.js';

/**
 * In foreign-key order: a table comes after those it points at. Every table that holds state a
 * move must keep: who was erased (forgotten_addresses: without it a moved store would message
 * them again), and the engagement a campaign collected (its links, which click tokens name; the
 * hourly counts; the per-recipient events; the seen-set and its key, without which unique counts
 * would start over).
 */
const TABLES: PgTable[] = [
  customers,
  suppressions,
  campaigns,
  campaignRecipients,
  feedbackEvents,
  senderUsage,
  forgottenAddresses,
  campaignLinks,
  engagementHourly,
  engagementEvents,
  engagementKeys,
  engagementSeen,
];

/**
 * The tables of both schemas a copy leaves out, and why: they describe processes running on the
 * source, not the workspace (a copy runs with no send running; test/unit/db/pg-copy.test.ts holds
 * this list and TABLES to every table of the schema).
 */
export const NOT_COPIED: Record<string, string> = {
  workers: 'the live send workers of the source: none while a copy runs, and a worker of the source is no worker of the target',
  rate_buckets: "the next free send slot of a running send's shared rate: an idle campaign earns no burst, so a new send starts afresh",
  store_moved: 'where an SQLite file was moved: a mark of that file (the source of a move up), not workspace data',
};

/** The names of the tables a copy moves, in the order it moves them. */
export const COPIED_TABLES: readonly string[] = TABLES.map((t) => getTableConfig(t).name);

/** Rows per batch (an INSERT of arrays one way, a cursor FETCH the other): this bounds memory. */
export const BATCH = 5_000;

export interface CopyResult {
  source: string;
  target: string;
  /** The target held rows that were deleted first (`--replace`). */
  replaced: boolean;
  /** Rows copied per table (equal to the source's, checked before the commit). */
  tables: Record<string, number>;
  total: number;
  /** The source is an SQLite file now marked moved to the target (a copy up): writes to it refuse. */
  source_marked_moved: boolean;
}

export interface TableSpec {
  name: string;
  /** In schema order; `type` is PostgreSQL's (boolean, jsonb, bytea, bigint, …). */
  columns: Array<{ name: string; type: string }>;
  hasId: boolean;
}

/** Every copied table, in foreign-key order. */
export function copySpecs(): TableSpec[] {
  return TABLES.map((table) => {
    const config = getTableConfig(table);
    const columns = config.columns.map((c) => ({ name: c.name, type: c.getSQLType() }));
    return { name: config.name, columns, hasId: columns.some((c) => c.name === 'id') };
  });
}

/** Rows of `table` as the connection (and its transaction) sees them. */
export async function countRows(client: pg.PoolClient, table: string): Promise<number> {
  return Number((await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

/** Refuses a target holding any row (`present`: rows per table) unless `replace`; true when it must be emptied first. */
export function mustEmptyTarget(present: Record<string, number>, targetName: string, replace: boolean | undefined): boolean {
  const held = Object.entries(present).filter(([, n]) => n > 0);
  if (held.length > 0 && !replace) {
    throw new UsageError(`the target ${targetName} is not empty (${held.map(([t, n]) => `${count(n, 'row')} in ${t}`).join(', ')}); nothing was copied`, {
      code: 'copy_target_not_empty',
      hint: 'copy into an empty database, or pass --replace to delete what the target holds first (in the same transaction)',
      details: { present: Object.fromEntries(held) },
    });
  }
  return held.length > 0;
}

/** The target got exactly the source's rows of `table`, or the copy is rolled back. */
export function checkCopied(table: string, expected: number, got: number): void {
  if (got !== expected) throw new InputError('copy_count_mismatch', `${table}: the source has ${count(expected, 'row')}, the target got ${got}; nothing was copied`);
}

export function copyResult(opts: { sourceName: string; targetName: string }, replaced: boolean, tables: Record<string, number>): CopyResult {
  return { source: opts.sourceName, target: opts.targetName, replaced, tables, total: Object.values(tables).reduce((a, b) => a + b, 0), source_marked_moved: false };
}

/**
 * What keeps a copy from racing a send, and from replacing data nobody meant to lose. Judged on
 * the caller's clock (MKT_NOW in tests), as `campaign status` judges workers.
 */
export interface CopyGuards {
  now: () => number;
  /** How long a silent PostgreSQL worker counts as live (MKT_WORKER_TTL_S; default 30 s). */
  workerTtlMs?: number;
  /** Whether an SQLite lease's owner is a process of this host that is gone (it holds nothing then). */
  isDead?: (owner: string) => boolean;
  /** Asked, with the target's rows per table, before those rows are deleted (`--replace`); throws to refuse. */
  confirmReplace?: (present: Record<string, number>, targetName: string) => Promise<void>;
  /** Ctrl-C: the copy stops at its next batch and rolls back. */
  signal?: AbortSignal;
}

export interface CopyOptions {
  replace?: boolean;
  sourceName: string;
  targetName: string;
  guards?: CopyGuards;
}

/** What sends on a store a copy reads or replaces: a live worker (PostgreSQL) or lease holder (SQLite). */
export interface Sender {
  campaign: string;
  /** The worker id or the lease owner (`host:pid:random`). */
  id: string;
}

/**
 * Refuses (75) a copy while something sends on `name`: from a source, the rows it sends after
 * the snapshot would stay pending in the copy (and be sent again from there); into a target,
 * the replace would pull its ledger from under it. Nothing was copied; run again when it ends.
 */
export function refuseWhileSending(side: 'source' | 'target', name: string, senders: readonly Sender[]): void {
  if (senders.length === 0) return;
  const campaigns = [...new Set(senders.map((s) => s.campaign))];
  const list = campaigns.map((c) => `"${c}" (${senders.filter((s) => s.campaign === c).map((s) => s.id).join(', ')})`).join(', ');
  throw new ResumableStop('copy_store_busy', `the ${side} ${name} is sending: ${senders.length} live worker(s) on campaign(s) ${list}; nothing was copied`, {
    hint: `wait for ${campaigns.length === 1 ? 'that send' : 'those sends'} to finish (\`mkt campaign status ${campaigns[0]}\` lists the workers) or stop ${senders.length === 1 ? 'it' : 'them'}, then run the copy again`,
    details: { side, workers: senders.map((s) => ({ ...s })) },
  });
}

/** Stops the copy (75) when it was interrupted: thrown inside the target's transaction, which rolls back. */
export function stopIfInterrupted(signal: AbortSignal | undefined, targetName: string): void {
  if (!signal?.aborted) return;
  throw new ResumableStop('copy_interrupted', `db copy interrupted: nothing was copied; ${targetName} was left as it was`);
}

/** The guards with their defaults (an API caller that passes none: no question, no signal). */
export function guardsOf(g: CopyGuards | undefined): Required<Omit<CopyGuards, 'signal' | 'workerTtlMs'>> & Pick<CopyGuards, 'signal' | 'workerTtlMs'> {
  return { now: g?.now ?? Date.now, isDead: g?.isDead ?? (() => false), confirmReplace: g?.confirmReplace ?? (async () => {}), signal: g?.signal, workerTtlMs: g?.workerTtlMs };
}
