import { asc, count, eq } from 'drizzle-orm';
import { customers } from '../db/schema.js';
import type { Store } from '../db/open.js';
import { normaliseEmail, normalisePhone } from './normalise.js';
import { toRecord, type CustomerRecord } from './record.js';

export function countCustomers(store: Store): number {
  return store.db.select({ n: count() }).from(customers).get()?.n ?? 0;
}

/**
 * Finds one customer by id, external id, email or phone — whichever the key looks like.
 * Email and phone are compared in normalised form (lower-case email; E.164 phone).
 */
export function findCustomer(store: Store, key: string): CustomerRecord | undefined {
  const k = key.trim();
  const tries = [];
  if (/^\d+$/.test(k)) tries.push(eq(customers.id, Number(k)));
  const email = k.includes('@') ? normaliseEmail(k) : undefined;
  if (email) tries.push(eq(customers.email, email));
  const phone = /^(whatsapp:)?\+?[\d\s().-]{6,}$/.test(k) ? normalisePhone(k) : undefined;
  if (phone) tries.push(eq(customers.phone, phone));
  tries.push(eq(customers.externalId, k));
  for (const where of tries) {
    const row = store.db.select().from(customers).where(where).get();
    if (row) return toRecord(row);
  }
  return undefined;
}

export function listCustomers(store: Store, limit: number, offset = 0): CustomerRecord[] {
  return store.db.select().from(customers).orderBy(asc(customers.id)).limit(limit).offset(offset).all().map(toRecord);
}
