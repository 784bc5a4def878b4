import { asc, count } from 'drizzle-orm';
import { customers } from '../db/schema.js';
import type { Store } from '../db/open.js';
import { toRecord, type CustomerRecord } from './record.js';

export function countCustomers(store: Store): number {
  return store.db.select({ n: count() }).from(customers).get()?.n ?? 0;
}

export function listCustomers(store: Store, limit: number, offset = 0): CustomerRecord[] {
  return store.db.select().from(customers).orderBy(asc(customers.id)).limit(limit).offset(offset).all().map(toRecord);
}
