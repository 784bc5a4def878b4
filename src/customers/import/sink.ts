/**
 * Where an import's rows go. The import core (./index.ts) reads, checks, counts warnings and
 * rejects; a sink resolves identities, merges and writes, inside the one transaction the store
 * owns (db/import-store.ts). SQLite: row by row (./upsert.ts over db/customers-writer.ts);
 * PostgreSQL: staged with COPY and written set-based (./staged-writer.ts).
 */
import type { ImportStore } from '../../db/import-store.js';
import { StagedWriter } from './staged-writer.js';
import { CustomerWriter, type RowWriter } from './upsert.js';

export type { RowWriter };

export interface CustomerSink {
  /** Runs `body` in one transaction: committed when it returns and `keep` is true, else rolled back. */
  write<T>(body: (writer: RowWriter) => Promise<T>, keep: boolean): Promise<T>;
}

export function importSink(imports: ImportStore, now: number): CustomerSink {
  return {
    write: (body, keep) => imports.customers((session) => body(session.kind === 'sqlite' ? new CustomerWriter(session.rows, now) : new StagedWriter(session.staging, now)), keep),
  };
}
