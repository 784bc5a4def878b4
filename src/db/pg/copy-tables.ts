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
import { InputError, UsageError } from '../../errors.js';
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
  return { source: opts.sourceName, target: opts.targetName, replaced, tables, total: Object.values(tables).reduce((a, b) => a + b, 0) };
}
