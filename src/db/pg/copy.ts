/**
 * `mkt db copy SQLITE_FILE postgres://…`: a whole workspace database moved up to PostgreSQL in
 * ONE transaction on the target: customers, suppressions, campaigns, their ledgers, feedback
 * events, the senders' daily usage, the erased addresses' hashes and the engagement tables
 * (links, hourly counts, events, seen-sets and their keys), ids kept (the ledger points at customers and campaigns
 * by id), identities moved past the copied ids, and every table's row count checked against
 * the source before the commit. A target that holds any row is refused unless `replace`, which
 * empties those tables in the same transaction: a failed copy leaves the target as it was.
 *
 * The tables, their columns and the checks are shared with the way back (./copy-tables.ts).
 */
import { InputError, MktError, UnavailableError } from '../../errors.js';
import type { Store } from '../open.js';
import { BATCH, checkCopied, copyResult, copySpecs, countRows, mustEmptyTarget, type CopyResult, type TableSpec } from './copy-tables.js';
import { driverMessage } from './errors.js';
import { isConnectionError, isPermissionDenied } from '../connection-errors.js';
import { permissionDenied } from '../faults.js';
import type { PgStore } from './open.js';
import { inTransaction } from './transaction.js';

export { COPIED_TABLES, NOT_COPIED, type CopyResult } from './copy-tables.js';

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

export async function copySqliteToPg(source: Store, target: PgStore, opts: { replace?: boolean; sourceName: string; targetName: string }): Promise<CopyResult> {
  const specs = copySpecs();
  const { sqlite } = source;
  // one read transaction on the source: every table is read from the same snapshot
  sqlite.exec('BEGIN');
  try {
    const expected = Object.fromEntries(specs.map((s) => [s.name, (sqlite.prepare(`SELECT count(*) AS n FROM ${s.name}`).get() as { n: number }).n]));
    const tables = await inTransaction(target.pool, async (client) => {
      const present: Record<string, number> = {};
      for (const s of specs) present[s.name] = await countRows(client, s.name);
      const replaced = mustEmptyTarget(present, opts.targetName, opts.replace);
      if (replaced) await client.query(`TRUNCATE ${specs.map((s) => s.name).join(', ')} RESTART IDENTITY CASCADE`);
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
        checkCopied(s.name, expected[s.name]!, copied[s.name]!);
      }
      return { copied, replaced };
    });
    return copyResult(opts, tables.replaced, tables.copied);
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
  if (isPermissionDenied(e)) return permissionDenied(message);
  const refused = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !isConnectionError(e);
  return refused ? new InputError('copy_failed', message) : new UnavailableError('db_unreachable', message, { hint: 'check that the server is running and reachable, then run the copy again' });
}
