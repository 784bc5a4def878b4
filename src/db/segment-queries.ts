/**
 * The queries segments run (src/segments/index.ts): count, breakdown by a field and preview,
 * each over a compiled filter (./segment-sql.ts builds the SQL text; this runs it).
 */
import type { CustomerRow } from './customer-columns.js';
import type { Store } from './open.js';
import type { Field } from './filter.js';
import { breakdownSql, countSql, previewSql } from './segment-sql.js';
import type { SqlFragment } from './sql-fragment.js';

/** How many customers match a compiled filter. */
export function countMatching(store: Store, where: SqlFragment): number {
  const q = countSql(where);
  return (store.sqlite.prepare(q.text).get(...q.params) as { n: number }).n;
}

/** Matching customers grouped by the value of `by` (`k` null for a missing value). */
export function breakdownMatching(store: Store, where: SqlFragment, by: Field): Array<{ k: unknown; n: number }> {
  const q = breakdownSql(where, by);
  return store.sqlite.prepare(q.text).all(...q.params) as Array<{ k: unknown; n: number }>;
}

/** The first `limit` matching customers in id order. */
export function previewMatching(store: Store, where: SqlFragment, limit: number): CustomerRow[] {
  const q = previewSql(where, limit);
  return store.sqlite.prepare(q.text).all(...q.params) as CustomerRow[];
}
