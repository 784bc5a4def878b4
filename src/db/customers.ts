/**
 * Reading customers: how many there are, a page of them, and one looked up by a key. The
 * caller decides what a key means (customers/find.ts normalises addresses first).
 */
import { asc, count, eq } from 'drizzle-orm';
import type { CustomerRow } from './customer-columns.js';
import type { Store } from './open.js';
import { customers } from './schema.js';

export function countCustomerRows(store: Store): number {
  return store.db.select({ n: count() }).from(customers).get()?.n ?? 0;
}

/** A page of customers in id order. */
export function listCustomerRows(store: Store, limit: number, offset = 0): CustomerRow[] {
  return store.db.select().from(customers).orderBy(asc(customers.id)).limit(limit).offset(offset).all();
}

/** A customer whose column `by` equals `value`. */
export function customerRowBy(store: Store, by: 'id' | 'externalId' | 'email' | 'phone', value: string | number): CustomerRow | undefined {
  return store.db.select().from(customers).where(eq(customers[by], value as never)).get();
}
