/**
 * The plan hash's definition, shared by both stores so a list gives the same figure on either:
 * sha256 over the seed (the campaign's spec as JSON, from src/campaigns/prepare.ts), then each
 * row of the list in ledger (id) order as `<customer_id> NUL <address> LF`, UTF-8, in hex.
 * SQLite (and PostgreSQL for a list over 2M rows) hash the rows here as they stream by;
 * PostgreSQL otherwise hashes the same bytes on the server in one aggregate (./pg/audience.ts),
 * so the list is not sent back.
 */
import { createHash } from 'node:crypto';

export interface ListHasher {
  row(customerId: number, address: string): void;
  hex(): string;
}

export function listHasher(seed: string): ListHasher {
  const hash = createHash('sha256');
  hash.update(seed);
  return {
    row: (customerId, address) => hash.update(`${customerId}\u0000${address}\n`),
    hex: () => hash.digest('hex'),
  };
}
