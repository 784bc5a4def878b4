/**
 * The flow repository (../flow-store.ts) on PostgreSQL, and `send_at_local`'s due times for the
 * audience prepare: the twins of ../ledger-breakdown.ts and ../local-time-sql.ts, answering
 * exactly as the SQLite ones do.
 */
import type pg from 'pg';
import type { FlowStore, ZoneGroup } from '../flow-store.js';
import { partsOf, type PartRow } from '../ledger-breakdown.js';

/** The grouping column and its order: SQLite's (NULL first, bytewise for text). */
const PART_COLUMNS = { run: { col: 'run', order: 'run' }, variant: { col: 'variant', order: 'variant COLLATE "C" NULLS FIRST' } } as const;

/**
 * `send_at_local` in prepare's transaction (which holds the campaign's row lock, so no row joins
 * the list between the groups read and the UPDATE): the pending rows with no due time yet
 * (next_attempt_at = 0; a refresh leaves earlier rows and their retries alone) get their zone
 * group's instant, in one UPDATE for every group (the due
 * instants bound as arrays, never a per-row loop). Returns how many rows got one.
 */
export async function localDueTimesIn(client: pg.PoolClient, campaignId: number, dueOf: (g: ZoneGroup) => number): Promise<number> {
  const groups = (
    await client.query<ZoneGroup>(
      `SELECT DISTINCT c.timezone AS timezone, c.country AS country FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
       WHERE r.campaign_id = $1 AND r.state = 'pending' AND r.next_attempt_at = 0`,
      [campaignId],
    )
  ).rows;
  if (groups.length === 0) return 0;
  const r = await client.query(
    `UPDATE campaign_recipients r SET next_attempt_at = d.due
     FROM customers c, unnest($2::text[], $3::text[], $4::bigint[]) AS d(timezone, country, due)
     WHERE r.campaign_id = $1 AND r.state = 'pending' AND r.next_attempt_at = 0 AND c.id = r.customer_id
       AND c.timezone IS NOT DISTINCT FROM d.timezone AND c.country IS NOT DISTINCT FROM d.country`,
    [campaignId, groups.map((g) => g.timezone), groups.map((g) => g.country), groups.map((g) => dueOf(g))],
  );
  return r.rowCount ?? 0;
}

export function pgFlowStore(pool: pg.Pool): FlowStore {
  return {
    parts: async (campaignId, by) => {
      const { col, order } = PART_COLUMNS[by];
      const r = await pool.query<PartRow>(
        `SELECT ${col} AS k, state, count(*) AS n, min(sent_at) AS first FROM campaign_recipients WHERE campaign_id = $1 GROUP BY ${col}, state ORDER BY ${order}`,
        [campaignId],
      );
      return partsOf(r.rows);
    },
    firstRecipient: async (campaignId) => {
      const r = await pool.query<{ id: number }>('SELECT customer_id AS id FROM campaign_recipients WHERE campaign_id = $1 ORDER BY id LIMIT 1', [campaignId]);
      return r.rows[0]?.id;
    },
  };
}
