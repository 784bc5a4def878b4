/**
 * Looking one customer up by what a person types. Kept apart from query.ts because matching a
 * phone number loads libphonenumber's metadata (~100 ms), which `customers count` and `list` do
 * not need.
 */
import type { CustomerStore } from '../db/repositories.js';
import { InputError } from '../errors.js';
import { normaliseEmail, normalisePhone } from './address.js';
import { toRecord, type CustomerRecord } from './record.js';

/**
 * Finds one customer by id, external id, email or phone — whichever the key looks like.
 * Email and phone are compared in normalised form (lower-case email; E.164 phone).
 */
export async function findCustomer(customers: Pick<CustomerStore, 'by'>, key: string): Promise<CustomerRecord | undefined> {
  const k = key.trim();
  const tries: Array<[by: 'id' | 'externalId' | 'email' | 'phone', value: string | number]> = [];
  if (/^\d+$/.test(k)) tries.push(['id', Number(k)]);
  const email = k.includes('@') ? normaliseEmail(k) : undefined;
  if (email) tries.push(['email', email]);
  const phone = /^(whatsapp:)?\+?[\d\s().-]{6,}$/.test(k) ? normalisePhone(k) : undefined;
  if (phone) tries.push(['phone', phone]);
  tries.push(['externalId', k]);
  for (const [by, value] of tries) {
    const row = await customers.by(by, value);
    if (row) return toRecord(row);
  }
  return undefined;
}

/** The customer a command names (`--customer`); none is bad input (65) with the way to look. */
export async function requireCustomer(customers: Pick<CustomerStore, 'by'>, key: string): Promise<CustomerRecord> {
  const found = await findCustomer(customers, key);
  if (!found) throw new InputError('customer_not_found', `no customer matches "${key}"`, { hint: 'try `mkt customers list`' });
  return found;
}
