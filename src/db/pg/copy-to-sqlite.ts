/**
 * `mkt db copy postgres://… FILE.db`: a whole workspace database moved down from PostgreSQL
 * into an SQLite file, the way back of ./copy.ts with the same tables, the same checks and the
 * same result (./copy-tables.ts). ONE transaction on the target (BEGIN IMMEDIATE … COMMIT): a
 * target holding any row is refused unless `replace`, which deletes those rows in the same
 * transaction, and a failed copy rolls back to the target as it was. Not while the source has a
 * live worker (read under COPY_LOCK, so none starts meanwhile), nor while the file's send lease
 * is held (checked under its write lock, which a sender needs to take the lease).
 *
 * The source is read from one snapshot (a REPEATABLE READ, READ ONLY transaction), each table
 * through a server-side cursor a batch at a time, so memory stays flat whatever the size. Values
 * come back in SQLite's forms: booleans as 0/1, jsonb as JSON text, bigint (ids, epoch-ms times)
 * as numbers, bytea as blobs. Ids are kept; `sqlite_sequence` ends at the largest copied id, so
 * the next row gets the id after it, as PostgreSQL's identities do after the way up.
 */
import { InputError, MktError, UnavailableError } from '../../errors.js';
import { isConnectionError, isPermissionDenied } from '../connection-errors.js';
import { permissionDenied, storageError } from '../faults.js';
import { liveLeases } from '../campaigns.js';
import type { Store } from '../open.js';
import { clearMoved } from '../store-moved.js';
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
import type { PgStore } from './open.js';
import { inTransaction } from './transaction.js';
import { COPY_LOCK, liveWorkersOfDatabase } from './workers.js';

type Convert = (value: unknown) => unknown;
const asIs: Convert = (v) => v;
const bool01: Convert = (v) => (v === null ? null : v ? 1 : 0);
// node-postgres hands jsonb out parsed; SQLite keeps the text mkt writes (JSON.stringify's)
const jsonText: Convert = (v) => (v === null ? null : JSON.stringify(v));

/** A PostgreSQL value → the value SQLite stores for the column. */
function converters(spec: TableSpec): Convert[] {
  return spec.columns.map((c) => (c.type === 'boolean' ? bool01 : c.type === 'jsonb' ? jsonText : asIs));
}

/**
 * How long one statement of the read may wait for the server: a server that stops answering
 * (a lost host, a halted machine: no reset ever comes) would otherwise hold the copy, and the
 * file's write lock, forever. A count or a batch of 5,000 rows takes far less.
 */
const ANSWER_WITHIN_MS = 60_000;

export async function copyPgToSqlite(source: PgStore, target: Store, opts: CopyOptions & { answerWithinMs?: number }): Promise<CopyResult> {
  const specs = copySpecs();
  const g = guardsOf(opts.guards);
  const now = g.now();
  const { sqlite } = target;
  try {
    return await inTransaction(
      source.pool,
      async (client) => {
        // every table (and its count) from the same snapshot, taken once no worker can start
        // (the copy lock, taken before this transaction began)
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        // a worker sending meanwhile would leave the rows it sends pending in the copy
        refuseWhileSending('source', opts.sourceName, await liveWorkersOfDatabase(client, now, g.workerTtlMs));
        const expected: Record<string, number> = {};
        for (const s of specs) expected[s.name] = await countRows(client, s.name);
        // the file's write lock, from the check to the commit: a sender takes its lease under it
        sqlite.exec('BEGIN IMMEDIATE');
        try {
          refuseWhileSending('target', opts.targetName, liveLeases(sqlite, now, g.isDead).map((l) => ({ campaign: l.campaign, id: l.owner })));
          const present = Object.fromEntries(specs.map((s) => [s.name, (sqlite.prepare(`SELECT count(*) AS n FROM ${s.name}`).get() as { n: number }).n]));
          const replaced = mustEmptyTarget(present, opts.targetName, opts.replace);
          if (replaced) await g.confirmReplace(present, opts.targetName);
          stopIfInterrupted(g.signal, opts.targetName);
          // children before parents
          if (replaced) for (const s of [...specs].reverse()) sqlite.exec(`DELETE FROM ${s.name}`);
          // the ids start over (as RESTART IDENTITY does the other way), even in an empty target
          // that once held rows; each explicit id inserted below then moves them up again
          sqlite.prepare(`DELETE FROM sqlite_sequence WHERE name IN (${specs.map(() => '?').join(', ')})`).run(...specs.map((s) => s.name));
          const copied: Record<string, number> = {};
          for (const s of specs) {
            const names = s.columns.map((c) => c.name).join(', ');
            const insert = sqlite.prepare(`INSERT INTO ${s.name} (${names}) VALUES (${s.columns.map(() => '?').join(', ')})`);
            const convert = converters(s);
            await client.query(`DECLARE mkt_copy NO SCROLL CURSOR FOR SELECT ${names} FROM ${s.name}${s.hasId ? ' ORDER BY id' : ''}`);
            for (;;) {
              const { rows } = await client.query<unknown[]>({ text: `FETCH ${BATCH} FROM mkt_copy`, rowMode: 'array' });
              for (const row of rows) insert.run(...row.map((v, i) => convert[i]!(v)));
              stopIfInterrupted(g.signal, opts.targetName);
              if (rows.length < BATCH) break;
            }
            await client.query('CLOSE mkt_copy');
            copied[s.name] = (sqlite.prepare(`SELECT count(*) AS n FROM ${s.name}`).get() as { n: number }).n;
            checkCopied(s.name, expected[s.name]!, copied[s.name]!);
          }
          // a file that was moved up is the live store again (src/db/store-moved.ts)
          clearMoved(sqlite);
          stopIfInterrupted(g.signal, opts.targetName);
          sqlite.exec('COMMIT');
          return copyResult(opts, replaced, copied);
        } catch (e) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          throw e;
        }
      },
      { sessionLock: COPY_LOCK, answerWithinMs: opts.answerWithinMs ?? ANSWER_WITHIN_MS },
    );
  } catch (e) {
    throw e instanceof MktError ? e : copyFailed(e, source.url, target.path, opts.targetName);
  }
}

/**
 * A failure during the copy (the target is rolled back): the source server gone is 69; the
 * target's disk or lock is the SQLite fault it is (src/db/faults.ts); a row the target refuses
 * (a constraint) is bad input, 65, with SQLite's words.
 */
function copyFailed(e: unknown, url: string, file: string, targetName: string): MktError {
  const message = `copying into ${targetName} failed, nothing was copied: ${driverMessage(e, url)}`;
  if (isPermissionDenied(e)) return permissionDenied(message);
  if (isConnectionError(e)) return new UnavailableError('db_unreachable', message, { hint: 'check that the server is running and reachable, then run the copy again' });
  return storageError(e, file) ?? new InputError('copy_failed', message);
}
