/**
 * `mkt db copy SQLITE_FILE postgres://…`: a whole workspace database moved up to PostgreSQL in
 * ONE transaction on the target: customers, suppressions, campaigns, their ledgers, feedback
 * events, the senders' daily usage, the erased addresses' hashes and the engagement tables
 * (links, hourly counts, events, seen-sets and their keys), ids kept (the ledger points at customers and campaigns
 * by id), identities moved past the copied ids, and every table's row count checked against
 * the source before the commit. A target that holds any row is refused unless `replace`, which
 * empties those tables in the same transaction: a failed copy leaves the target as it was.
 *
 * The columns come from the PostgreSQL schema (the pg-schema test holds it equal to SQLite's),
 * so a column added to both is copied without touching this file; a new table is added to TABLES.
 */
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { InputError, MktError, UnavailableError, UsageError } from '../../errors.js';
import type { Store } from '../open.js';
import { driverMessage } from './errors.js';
import type { PgStore } from './open.js';
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
import { inTransaction } from './transaction.js';

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

/** Rows per INSERT: each column travels as one array parameter, so this bounds memory, not parameters. */
const BATCH = 5_000;

export interface CopyResult {
  source: string;
  target: string;
  /** The target held rows that were deleted first (`--replace`). */
  replaced: boolean;
  /** Rows copied per table (equal to the source's, checked before the commit). */
  tables: Record<string, number>;
  total: number;
}

interface TableSpec {
  name: string;
  columns: Array<{ name: string; type: string }>;
  hasId: boolean;
}

function specOf(table: PgTable): TableSpec {
  const config = getTableConfig(table);
  const columns = config.columns.map((c) => ({ name: c.name, type: c.getSQLType() }));
  return { name: config.name, columns, hasId: columns.some((c) => c.name === 'id') };
}

/**
 * `INSERT … SELECT FROM unnest(…)` of one batch: a column per array parameter (SQLite's 0/1
 * become booleans, JSON text becomes jsonb).
 */
function insertBatch(spec: TableSpec, rows: unknown[][]): { text: string; values: unknown[] } {
  const values = spec.columns.map((col, i) => rows.map((r) => (col.type === 'boolean' && r[i] !== null ? r[i] === 1 || r[i] === true : r[i])));
  const arrays = spec.columns.map((col, i) => `$${i + 1}::${col.type === 'jsonb' ? 'text' : col.type}[]`);
  const select = spec.columns.map((col, i) => (col.type === 'jsonb' ? `u.c${i}::jsonb` : `u.c${i}`));
  const names = spec.columns.map((c) => c.name).join(', ');
  return {
    text: `INSERT INTO ${spec.name} (${names}) SELECT ${select.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${spec.columns.map((_, i) => `c${i}`).join(', ')})`,
    values,
  };
}

async function countRows(client: pg.PoolClient, table: string): Promise<number> {
  return Number((await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

export async function copySqliteToPg(source: Store, target: PgStore, opts: { replace?: boolean; sourceName: string; targetName: string }): Promise<CopyResult> {
  const specs = TABLES.map(specOf);
  const { sqlite } = source;
  // one read transaction on the source: every table is read from the same snapshot
  sqlite.exec('BEGIN');
  try {
    const expected = Object.fromEntries(specs.map((s) => [s.name, (sqlite.prepare(`SELECT count(*) AS n FROM ${s.name}`).get() as { n: number }).n]));
    const tables = await inTransaction(target.pool, async (client) => {
      const present: Record<string, number> = {};
      for (const s of specs) {
        const n = await countRows(client, s.name);
        if (n > 0) present[s.name] = n;
      }
      const held = Object.entries(present);
      if (held.length > 0 && !opts.replace) {
        throw new UsageError(`the target ${opts.targetName} is not empty (${held.map(([t, n]) => `${n} ${t}`).join(', ')}); nothing was copied`, {
          code: 'copy_target_not_empty',
          hint: 'copy into an empty database, or pass --replace to delete what the target holds first (in the same transaction)',
          details: { present },
        });
      }
      if (held.length > 0) await client.query(`TRUNCATE ${specs.map((s) => s.name).join(', ')} RESTART IDENTITY CASCADE`);
      const copied: Record<string, number> = {};
      for (const s of specs) {
        const names = s.columns.map((c) => c.name).join(', ');
        const stmt = sqlite.prepare(`SELECT ${names} FROM ${s.name}${s.hasId ? ' ORDER BY id' : ''}`).raw();
        let batch: unknown[][] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          const q = insertBatch(s, batch);
          await client.query(q.text, q.values);
          batch = [];
        };
        for (const row of stmt.iterate() as Iterable<unknown[]>) {
          batch.push(row);
          if (batch.length === BATCH) await flush();
        }
        await flush();
        // the next id a new row gets comes after the copied ones
        if (s.hasId) await client.query(`SELECT setval(pg_get_serial_sequence('${s.name}', 'id'), coalesce(max(id), 0) + 1, false) FROM ${s.name}`);
        copied[s.name] = await countRows(client, s.name);
        if (copied[s.name] !== expected[s.name]) {
          throw new InputError('copy_count_mismatch', `${s.name}: the source has ${expected[s.name]} rows, the target got ${copied[s.name]}; nothing was copied`);
        }
      }
      return { copied, replaced: held.length > 0 };
    });
    return {
      source: opts.sourceName,
      target: opts.targetName,
      replaced: tables.replaced,
      tables: tables.copied,
      total: Object.values(tables.copied).reduce((a, b) => a + b, 0),
    };
  } catch (e) {
    throw e instanceof MktError ? e : copyFailed(e, target.url, opts.targetName);
  } finally {
    sqlite.exec('COMMIT');
  }
}

/**
 * A driver error during the copy (the transaction is rolled back): data the target refuses is
 * bad input (65, with PostgreSQL's words); a lost connection is the server unavailable (69).
 */
function copyFailed(e: unknown, url: string, targetName: string): MktError {
  const code = (e as { code?: unknown }).code;
  const message = `copying into ${targetName} failed, nothing was copied: ${driverMessage(e, url)}`;
  const refused = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
  return refused ? new InputError('copy_failed', message) : new UnavailableError('db_unreachable', message, { hint: 'check that the server is running and reachable, then run the copy again' });
}
