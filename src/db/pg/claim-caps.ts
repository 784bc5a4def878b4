/**
 * Frequency caps at claim time on PostgreSQL, where several workers claim at once (the twin of
 * recentMessageCounter in ../compliance-sql.ts, which SQLite runs under its single writer).
 *
 * The race it closes: workers A and B claim rows of two campaigns for the same customer at the
 * same moment, with a cap of 1. Each counts the other campaigns' messages to that customer,
 * sees 0 (the other's `sending` row is not committed yet), and both send. So before counting,
 * a claim takes a transaction-scoped advisory lock per candidate customer; the lock is held
 * until its COMMIT, which is when its `sending` rows become visible. The count is a separate
 * statement after the lock: under READ COMMITTED each statement reads a fresh snapshot, so B,
 * having waited for A's lock, sees A's committed row and skips the customer (`frequency_cap`).
 * Locks are taken in one statement in ascending key order, so two claims never wait on each
 * other in a cycle (they take no other lock that one holds while the other waits for its own).
 */
import type pg from 'pg';
import type { Channel } from '../../channels.js';

/**
 * Locks `customerIds` (this transaction's) and counts each one's messages on `channel` from
 * campaigns other than `campaignId` since `since`: the same rows RECENT_MESSAGES counts.
 */
export async function lockedRecentCounts(client: pg.PoolClient, q: { campaignId: number; channel: Channel; customerIds: number[]; since: number }): Promise<Map<number, number>> {
  const ids = [...new Set(q.customerIds)];
  if (ids.length === 0) return new Map();
  // two-key advisory locks (a namespace, the id folded into int4): apart from the one-key locks
  // mkt takes elsewhere; a fold collision only makes two customers share a lock
  await client.query(
    `SELECT pg_advisory_xact_lock(hashtext('mkt:frequency_cap'), s.k)
     FROM (SELECT DISTINCT (id % 2147483647)::int AS k FROM unnest($1::bigint[]) AS id ORDER BY k) s`,
    [ids],
  );
  const { rows } = await client.query<{ id: number; n: number }>(
    `SELECT fr.customer_id AS id, count(*) AS n FROM campaign_recipients fr JOIN campaigns fc ON fc.id = fr.campaign_id
     WHERE fr.customer_id = ANY($1::bigint[]) AND fr.campaign_id <> $2 AND fc.channel = $3
       AND fr.state IN ('sent', 'sending', 'unknown') AND coalesce(fr.sent_at, fr.claimed_at) >= $4
     GROUP BY fr.customer_id`,
    [ids, q.campaignId, q.channel, q.since],
  );
  return new Map(rows.map((r) => [r.id, r.n]));
}
