/**
 * The seen-set's digest of a ledger row: HMAC-SHA256(campaign key, ledger id), its first 16
 * bytes (./engagement.ts writes engagement_seen with exactly this). A store that reads the
 * seen-set without the SQLite EngagementRepository (PostgreSQL) matches rows with it.
 */
import { createHmac } from 'node:crypto';

const DIGEST_BYTES = 16;

export function seenDigest(key: Buffer, ledgerId: number): Buffer {
  return createHmac('sha256', key).update(String(ledgerId)).digest().subarray(0, DIGEST_BYTES);
}

/** Which of `ledgerIds` have their digest among `digests` (the campaign's seen rows of one kind). */
export function seenAmong(key: Buffer, digests: Iterable<Buffer>, ledgerIds: number[]): Set<number> {
  const seen = new Set([...digests].map((d) => Buffer.from(d).toString('hex')));
  return new Set(ledgerIds.filter((id) => seen.has(seenDigest(key, id).toString('hex'))));
}
