/**
 * `send_at_local`: per-recipient due times set at prepare. Recipients are grouped by the two
 * customer columns that decide their zone (timezone, country); the caller turns each group into
 * a due instant, and one UPDATE writes them all through a temp table — never a per-row loop.
 * Only rows not yet given a time (next_attempt_at = 0) are touched: a refresh gives the
 * newcomers their time and leaves the earlier rows (and their retries) alone. Runs inside the
 * audience prepare's IMMEDIATE transaction (./audience-sql.ts), so no claim sees a row untimed.
 * The PostgreSQL twin is ./pg/flow.ts localDueTimesIn.
 */
import type { Store } from './open.js';

export interface ZoneGroup {
  timezone: string | null;
  country: string | null;
}

export function setLocalDueTimes(store: Store, campaignId: number, dueOf: (g: ZoneGroup) => number): number {
  const { sqlite } = store;
  const groups = sqlite
    .prepare(
      `SELECT DISTINCT c.timezone AS timezone, c.country AS country FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
       WHERE r.campaign_id = ? AND r.state = 'pending' AND r.next_attempt_at = 0`,
    )
    .all(campaignId) as ZoneGroup[];
  sqlite.exec('CREATE TEMP TABLE IF NOT EXISTS mkt_local_due (timezone TEXT, country TEXT, due INTEGER NOT NULL)');
  sqlite.exec('DELETE FROM mkt_local_due');
  const put = sqlite.prepare('INSERT INTO mkt_local_due (timezone, country, due) VALUES (?, ?, ?)');
  for (const g of groups) put.run(g.timezone, g.country, dueOf(g));
  const changed = sqlite
    .prepare(
      `UPDATE campaign_recipients SET next_attempt_at = (
         SELECT d.due FROM customers c JOIN mkt_local_due d ON d.timezone IS c.timezone AND d.country IS c.country
         WHERE c.id = campaign_recipients.customer_id)
       WHERE campaign_id = ? AND state = 'pending' AND next_attempt_at = 0
         AND EXISTS (SELECT 1 FROM customers c WHERE c.id = campaign_recipients.customer_id)`,
    )
    .run(campaignId).changes;
  sqlite.exec('DROP TABLE mkt_local_due');
  return changed;
}
