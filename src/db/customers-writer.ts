/**
 * The SQL of writing customers: `customers import` (identity lookups, inserts, updates and the
 * before-images that let a later line undo an earlier one) and `customers seed`. Raw
 * better-sqlite3 prepared statements with positional values: these run once per row, a
 * million times for a big file. The merge rules live in src/customers/import/upsert.ts.
 */
import type Database from 'better-sqlite3';
import { CUSTOMER_DATA_COLUMNS, type StoredCustomer } from './customer-columns.js';
import type { Store } from './open.js';

/** Which identity found a customer: 1 external id, 2 email, 3 phone. */
export type IdentityMatch = 1 | 2 | 3;

export interface Identity {
  ext: string | null;
  email: string | null;
  phone: string | null;
}

/** Values in `WRITE_COLUMNS` order: the data columns, then updated_at. */
export type CustomerValues = unknown[];

/** The columns an import writes, in the order of `CustomerValues`. */
export const WRITE_COLUMNS = [...CUSTOMER_DATA_COLUMNS, 'updated_at'] as const;

/** Prefix of an identity key (`forEachIdentity`): `x:` external id, `e:` email, `p:` phone. */
export const IDENTITY_KEY = { ext: 'x:', email: 'e:', phone: 'p:' } as const;

/** The import's statements; build inside the import's transaction and `dispose()` before it ends. */
export class CustomerImportRepository {
  private readonly byIdentity: Database.Statement<[Identity], StoredCustomer & { via: IdentityMatch }>;
  private readonly insertStmt: Database.Statement<unknown[]>;
  private readonly updateStmt: Database.Statement<unknown[]>;
  private readonly saveBefore: Database.Statement<[number]>;
  private readonly loadBefore: Database.Statement<[number], StoredCustomer>;

  private readonly sqlite: Database.Database;

  constructor(store: Store) {
    const sqlite = (this.sqlite = store.sqlite);
    // One statement for the whole precedence (external id, else email, else phone): a third of
    // the round trips of three lookups. A customer found by email or phone is the same one only
    // if its external id does not contradict the row's (customers with different external ids
    // may share an address). NULL parameters match nothing, so absent identities cost an index
    // probe at most. SQLite runs UNION ALL branches in order and LIMIT 1 stops at the first
    // row, so a match by external id skips the others.
    const sameOwner = '(@ext IS NULL OR external_id IS NULL OR external_id = @ext)';
    this.byIdentity = sqlite.prepare(
      `SELECT * FROM (
         SELECT 1 AS via, * FROM customers WHERE external_id = @ext
         UNION ALL SELECT * FROM (SELECT 2 AS via, * FROM customers WHERE email = @email AND ${sameOwner} ORDER BY id LIMIT 1)
         UNION ALL SELECT * FROM (SELECT 3 AS via, * FROM customers WHERE phone = @phone AND ${sameOwner} ORDER BY id LIMIT 1)
       ) LIMIT 1`,
    );
    this.insertStmt = sqlite.prepare(`INSERT INTO customers (${WRITE_COLUMNS.join(', ')}) VALUES (${WRITE_COLUMNS.map(() => '?').join(', ')})`);
    this.updateStmt = sqlite.prepare(`UPDATE customers SET ${WRITE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
    // Rows as they were before this import changed them, for when a later line of the same file
    // brings a customer back to its original state (then it counts, and stays, unchanged).
    sqlite.exec('CREATE TEMP TABLE IF NOT EXISTS mkt_import_before AS SELECT * FROM main.customers WHERE 0');
    sqlite.exec('CREATE INDEX IF NOT EXISTS temp.mkt_import_before_id ON mkt_import_before (id)');
    this.saveBefore = sqlite.prepare('INSERT INTO temp.mkt_import_before SELECT * FROM main.customers WHERE id = ?');
    this.loadBefore = sqlite.prepare('SELECT * FROM temp.mkt_import_before WHERE id = ?');
  }

  /** The customer a row's identities resolve to, and which identity matched. */
  find(identity: Identity): (StoredCustomer & { via: IdentityMatch }) | undefined {
    return this.byIdentity.get(identity);
  }

  /** Calls `each` with every stored customer's identity values, keyed with `IDENTITY_KEY`. */
  forEachIdentity(each: (key: string) => void): void {
    const rows = this.sqlite.prepare('SELECT external_id, email, phone FROM customers').raw() as Database.Statement<[], [string | null, string | null, string | null]>;
    for (const [ext, email, phone] of rows.iterate()) {
      if (ext) each(IDENTITY_KEY.ext + ext);
      if (email) each(IDENTITY_KEY.email + email);
      if (phone) each(IDENTITY_KEY.phone + phone);
    }
  }

  /** How many customers are stored. */
  count(): number {
    return (this.sqlite.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  }

  /** Inserts a customer; returns its id. */
  insert(values: CustomerValues): number {
    return Number(this.insertStmt.run(values).lastInsertRowid);
  }

  update(id: number, values: CustomerValues): void {
    this.updateStmt.run([...values, id]);
  }

  /** Keeps the stored row of `id` as it is now, the first time this import changes it. */
  saveOriginal(id: number): void {
    this.saveBefore.run(id);
  }

  /** The row of `id` as saved by `saveOriginal`. */
  original(id: number): StoredCustomer | undefined {
    return this.loadBefore.get(id);
  }

  dispose(): void {
    this.sqlite.exec('DROP TABLE IF EXISTS temp.mkt_import_before');
  }
}

/**
 * Adds demo customers (`customers seed`) in one transaction: rows are values in `WRITE_COLUMNS`
 * order. DO NOTHING on the unique external_id, so a re-run with the same seed adds only what is
 * missing; `replace` deletes every customer first.
 */
export function insertSeedCustomers(store: Store, rows: Iterable<CustomerValues>, replace: boolean): { inserted: number; deleted: number } {
  const { sqlite } = store;
  const insert = sqlite.prepare(`INSERT INTO customers (${WRITE_COLUMNS.join(', ')}) VALUES (${WRITE_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`);
  const run = sqlite.transaction(() => {
    const deleted = replace ? sqlite.prepare('DELETE FROM customers').run().changes : 0;
    let inserted = 0;
    for (const values of rows) inserted += insert.run(values).changes;
    return { inserted, deleted };
  });
  return run.immediate();
}
