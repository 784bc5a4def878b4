/**
 * Where an import's rows go. The import core (./index.ts) reads, checks, counts warnings and
 * rejects; a sink resolves identities, merges and writes, inside the one transaction it owns.
 * SQLite today (./upsert.ts over src/db/customers-writer.ts); a PostgreSQL path (COPY into a
 * staging table, say) would be a second implementation behind the same two calls.
 */
import type { Store } from '../../db/open.js';
import { inWriteTransaction } from '../../db/transaction.js';
import type { PreparedValues } from './prepared.js';
import { CustomerWriter, type Duplicate } from './upsert.js';

export interface RowWriter {
  readonly counts: { inserted: number; updated: number; unchanged: number };
  /** The next rows, before they are applied in order (lets the sink decide per batch which may match). */
  prefetch(values: ReadonlyArray<PreparedValues | null>): void;
  /** Inserts or updates one row's customer; the earlier line when this file already touched it. */
  apply(values: PreparedValues, line: number): Duplicate | undefined;
}

export interface CustomerSink {
  /** Runs `body` in one transaction: committed when it returns and `keep` is true, else rolled back. */
  write<T>(body: (writer: RowWriter) => Promise<T>, keep: boolean): Promise<T>;
}

export function sqliteSink(store: Store, now: number): CustomerSink {
  return {
    write: (body, keep) =>
      inWriteTransaction(
        store,
        async () => {
          const writer = new CustomerWriter(store, now);
          const result = await body(writer);
          writer.dispose(); // the temporary table goes with a rollback anyway
          return result;
        },
        keep,
      ),
  };
}
