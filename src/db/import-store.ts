/**
 * Imports into either store (`customers import`, `suppress import`), each in one transaction.
 * SQLite: ./sqlite-import-store.ts (the row-by-row repository of ./customers-writer.ts);
 * PostgreSQL: ./pg/import-store.ts (COPY into a staging table, then set-based statements).
 * The merge rules stay in src/customers/import/upsert.ts; a store only says how rows reach it.
 */
import type { AddressKind } from '../util/address-hash.js';
import type { StoredCustomer } from './customer-columns.js';
import type { CustomerImportRepository, CustomerValues } from './customers-writer.js';
import type { Channel } from '../channels.js';

/** Whether an address was erased on request (`customers forget`): import refuses it. */
export interface ForgottenCheck {
  has(kind: AddressKind, address: string | undefined | null): boolean;
}

/** A staged row: the reader's values (CUSTOMER_INPUT_COLUMNS order, then the attributes JSON text or null), its line and place in the file. */
export interface StagedRow {
  seq: number;
  line: number;
  values: unknown[];
}

/**
 * The rows of a file held to one side while it is read (PostgreSQL: a TEMP table filled by
 * COPY), then written set-based. A row that no other row of the file can affect (it shares
 * no external id, email or phone with another row, nor a stored customer any other row could
 * match) is merged by SQL against the stored customers; the others (`dependents`) are merged
 * in file order by the caller, exactly as row by row, and handed back to `write`.
 */
export interface ImportStaging {
  /** Queues one row (file order: lines ascending). */
  add(values: readonly unknown[], line: number): void;
  /** Sends the queued rows to the server, waiting while it is behind. */
  flush(): Promise<void>;
  /**
   * After the last row: the rows that depend on others (file order), every stored customer
   * they could match (SQLite's `SELECT *` shape), and the first id above every stored one.
   */
  dependents(): Promise<{ rows: StagedRow[]; customers: StoredCustomer[]; nextId: number }>;
  /**
   * Merges the independent rows and writes them with the dependents' final rows (WRITE_COLUMNS
   * values; new customers in the order (`seq`) of the row that created them) in one statement.
   * Returns the independent rows' outcomes.
   */
  write(
    final: { inserts: Array<{ seq: number; values: CustomerValues }>; updates: Array<{ id: number; values: CustomerValues }> },
    now: number,
  ): Promise<{ inserted: number; updated: number; unchanged: number }>;
}

/** One row of a `suppress import` (in canonical form). */
export interface ImportedSuppression {
  channel: Channel;
  address: string;
  reason: string;
  source: string;
  note?: string | null;
}

/** How a customers import reaches the store inside its transaction. */
export type CustomerImportSession = { kind: 'sqlite'; rows: CustomerImportRepository } | { kind: 'postgres'; staging: ImportStaging };

export interface ImportStore {
  /** The erased addresses, read once for an import. */
  forgotten(): Promise<ForgottenCheck>;
  /** Runs `body` in one transaction: committed when it returns and `keep` is true, else rolled back. */
  customers<T>(body: (session: CustomerImportSession) => Promise<T>, keep: boolean): Promise<T>;
  /**
   * Runs `body` in one transaction (rolled back when it throws); `add` suppresses a batch in
   * order, an address already suppressed keeping its first reason, and returns how many were new.
   */
  suppressions<T>(body: (add: (rows: ImportedSuppression[], now: number) => Promise<number>) => Promise<T>): Promise<T>;
}
