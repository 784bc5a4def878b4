/**
 * Looking one customer up by what a person types. Kept apart from query.ts because matching a
 * phone number loads libphonenumber's metadata (~100 ms), which `customers count` and `list` do
 * not need.
 */
import { customerRowBy } from '../db/customers.js';
import type { Store } from '../db/open.js';
import { normaliseEmail, normalisePhone } from './address.js';
import { toRecord, type CustomerRecord } from './record.js';

/**
 * Finds one customer by id, external id, email or phone — whichever the key looks like.
 * Email and phone are compared in normalised form (lower-case email; E.164 phone).
 */
export function findCustomer(store: Store, key: string): CustomerRecord | undefined {
  const k = key.trim();
  const tries: Array<[by: 'id' | 'externalId' | 'email' | 'phone', value: string | number]> = [];
  if (/^\d+$/.test(k)) tries.push(['id', Number(k)]);
  const email = k.includes('@') ? normaliseEmail(k) : undefined;
  if (email) tries.push(['email', email]);
  const phone = /^(whatsapp:)?\+?[\d\s().-]{6,}$/.test(k) ? normalisePhone(k) : undefined;
  if (phone) tries.push(['phone', phone]);
  tries.push(['externalId', k]);
  for (const [by, value] of tries) {
    const row = customerRowBy(store, by, value);
    if (row) return toRecord(row);
  }
  return undefined;
}
