/**
 * `mkt db copy SQLITE_FILE postgres://…`: a whole workspace database moved up to PostgreSQL in
 * ONE transaction on the target: customers, suppressions, campaigns, their ledgers, feedback
 * events, the senders' daily usage, the erased addresses' hashes and the engagement tables
 * (links, hourly counts, events, seen-sets and their keys), ids kept (the ledger points at customers and campaigns
 * by id), identities moved past the copied ids, and every table's row count checked against
 * the source before the commit. A target that holds any row is refused unless `replace`, which
 * empties those tables in the same transaction (after the caller's confirmation): a failed copy
 * leaves the target as it was. It never races a send (copy-tables.ts, refuseWhileSending): not
 * while the file's send lease is held, nor while the target has a live worker, checked under
 * the lock a starting worker takes (workers.ts, COPY_LOCK) in the target's transaction.
 *
 * The tables, their columns and the checks are shared with the way back (./copy-tables.ts).
 */
import { InputError, MktError, ResumableStop, UnavailableError } from '../../errors.js';
import { liveLeases } from '../campaigns.js';
import { storageError } from '../faults.js';
import type { Store } from '../open.js';
import { markMoved } from '../store-moved.js';
import {
  BATCH,
  checkCopied,
  copyResult,
  copySpecs,
  countRows,
  guardsOf,
  mustEmptyTarget,
  refuseWhileSending,
  stopIfInterrupted,
  type CopyOptions,
  type CopyResult,
  type TableSpec,
} from './copy-tables.js';
import { driverMessage } from './errors.js';
import { isConnectionError, isPermissionDenied } from '../connection-errors.js';
import { permissionDenied } from '../faults.js';
import type { PgStore } from './open.js';
import { inTransaction } from './transaction.js';
import { COPY_LOCK, liveWorkersOfDatabase } from './workers.js';

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

export async function copySqliteToPg(source: Store, target: PgStore, opts: CopyOptions): Promise<CopyResult> {
  const specs = copySpecs();
  const g = guardsOf(opts.guards);
  const now = g.now();
  const { sqlite } = source;
  // one read transaction on the source: every table is read from the same snapshot, and the
  // mark written at its end commits only if nothing else wrote to the file since (see below)
  sqlite.exec('BEGIN');
  let copied = false;
  try {
    stopIfInterrupted(g.signal, opts.targetName);
    // a send running on the file would go on after the snapshot: its rows would stay pending in
    // the copy, and be sent again from there
    refuseWhileSending('source', opts.sourceName, liveLeases(sqlite, now, g.isDead).map((l) => ({ campaign: l.campaign, id: l.owner })));
    const expected = Object.fromEntries(specs.map((s) => [s.name, (sqlite.prepare(`SELECT count(*) AS n FROM ${s.name}`).get() as { n: number }).n]));
    const tables = await inTransaction(target.pool, async (client) => {
      // from the check to the commit no worker can start on the target: each registers under it
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...COPY_LOCK]);
      refuseWhileSending('target', opts.targetName, await liveWorkersOfDatabase(client, now, g.workerTtlMs));
      const present: Record<string, number> = {};
      for (const s of specs) present[s.name] = await countRows(client, s.name);
      const replaced = mustEmptyTarget(present, opts.targetName, opts.replace);
      if (replaced) {
        await g.confirmReplace(present, opts.targetName);
        stopIfInterrupted(g.signal, opts.targetName);
        // the registry and rate slots of the replaced data go too (no worker is live: checked above)
        await client.query(`TRUNCATE ${specs.map((s) => s.name).join(', ')}, workers, rate_buckets RESTART IDENTITY CASCADE`);
      }
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
          stopIfInterrupted(g.signal, opts.targetName);
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
      stopIfInterrupted(g.signal, opts.targetName);
      markSourceMoved(source, target.url, now, opts);
      return { copied, replaced };
    });
    copied = true;
    // the target has committed: the mark (held under the file's write lock) follows it
    sqlite.exec('COMMIT');
    return { ...copyResult(opts, tables.replaced, tables.copied), source_marked_moved: true };
  } catch (e) {
    if (copied) throw storageError(e, source.path) ?? e;
    throw e instanceof MktError ? e : copyFailed(e, target.url, opts.targetName);
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
  }
}

/**
 * Marks the source moved inside its read transaction, just before the target commits. Writing
 * upgrades the snapshot to a write lock, which SQLite refuses (SQLITE_BUSY_SNAPSHOT) when another
 * process wrote to the file since the snapshot was taken: a send, `serve` or an import that
 * started during the copy. Their rows would be missing from the target, so the copy is refused
 * (75) and rolled back. Once granted, the lock keeps every writer out until the mark commits;
 * a sender that then starts finds the mark when it takes its lease (db/campaigns.ts).
 */
function markSourceMoved(source: Store, url: string, now: number, opts: CopyOptions): void {
  try {
    markMoved(source.sqlite, url, now);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) throw e;
    throw new ResumableStop('copy_source_changed', `${opts.sourceName} was written to while it was being copied (a send, serve or another command); nothing was copied into ${opts.targetName}`, {
      hint: 'stop what writes to the file (mkt serve, a send, a scheduled job), then run the copy again',
    });
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
