/**
 * The one-way form in which mkt remembers an erased person's address (`customers forget`):
 * SHA-256 of `<kind>:<canonical address>`, kind `email` or `phone` (SMS and WhatsApp share the
 * number). The same function runs in SQL as `mkt_address_hash(kind, address)` (registered by
 * src/db/open.ts), so prepare compares in one statement and import compares row by row.
 */
import { createHash } from 'node:crypto';

export type AddressKind = 'email' | 'phone';

export function addressHash(kind: AddressKind, address: string): string {
  return createHash('sha256').update(`${kind}:${address}`).digest('hex');
}
