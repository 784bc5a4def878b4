import { CUSTOMER_FIELDS } from '../../../src/customers/fields.js';
import { openStore, type Store } from '../../../src/db/open.js';
import { listCustomers } from '../../../src/customers/query.js';
import { filterToSql } from '../../../src/db/segment-sql.js';
import type { Filter } from '../../../src/segments/ast.js';
import { matches } from '../../../src/segments/evaluate.js';

export interface TestCustomer {
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  country?: string | null;
  timezone?: string | null;
  locale?: string | null;
  external_id?: string | null;
  lifetime_value?: number | null;
  order_count?: number | null;
  last_order_at?: number | null;
  created_at?: number;
  updated_at?: number;
  email_opt_in?: boolean;
  sms_opt_in?: boolean;
  whatsapp_opt_in?: boolean;
  attributes?: Record<string, unknown>;
}

const COLUMNS = [...CUSTOMER_FIELDS, 'updated_at', 'attributes'] as const;
const BOOLEANS = new Set(['email_opt_in', 'sms_opt_in', 'whatsapp_opt_in']);

/** A real store (real migrations) in memory. */
export function memoryStore(): Store {
  return openStore(':memory:');
}

/** Inserts customers with plain SQL, as stored: epoch-ms dates, 0/1 booleans, JSON attributes. */
export function insertCustomers(store: Store, customers: TestCustomer[], now = Date.UTC(2026, 0, 1)): void {
  const insert = store.sqlite.prepare(`INSERT INTO customers (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  store.sqlite.transaction(() => {
    for (const c of customers) {
      const row = { created_at: now, updated_at: now, ...c } as Record<string, unknown>;
      insert.run(
        ...COLUMNS.map((col) => (col === 'attributes' ? JSON.stringify(c.attributes ?? {}) : BOOLEANS.has(col) ? (row[col] ? 1 : 0) : (row[col] ?? null))),
      );
    }
  })();
}

/** The ids a filter selects in SQL and the ids the plain evaluator accepts, both in id order. */
export function sqlAndOracleIds(store: Store, filter: Filter, now: Date): { sql: number[]; oracle: number[] } {
  const where = filterToSql(filter, now);
  const sql = (store.sqlite.prepare(`SELECT c.id FROM customers c WHERE ${where.text} ORDER BY c.id`).all(...where.params) as Array<{ id: number }>).map((r) => r.id);
  const oracle = listCustomers(store, 1_000_000)
    .filter((c) => matches(filter, c, now))
    .map((c) => c.id);
  return { sql, oracle };
}
