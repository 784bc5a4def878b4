/**
 * The results repository (../results-store.ts) on PostgreSQL: the twin of
 * ../engagement-report.ts and ../ledger-report.ts's report rows, the same figures in the same
 * shapes. Sums over bigint columns are numeric in PostgreSQL (node-postgres hands them out as
 * strings), so each is cast back to bigint, which the pool parses as a number.
 */
import type pg from 'pg';
import { isConnectionError } from '../connection-errors.js';
import type { KindTotals, LinkStats, TimelineHour } from '../engagement-report.js';
import { REPORT_ROW_COLUMNS, toReportRow, type StoredReportRow } from '../ledger-report.js';
import type { ResultsStore } from '../results-store.js';

/** Report rows per round trip: bounds what is held in memory, whatever the list's size. */
const PAGE = 1000;

/**
 * A campaign's ledger rows in id order through a server-side cursor (DECLARE … FETCH, plain
 * SQL: no driver add-on), PAGE rows a round trip: memory stays one page, and the query is
 * planned and run once (keyset pages would be re-planned per page, and a plan that sorts would
 * sort the whole list every time). The cursor reads the snapshot of its transaction, so a send
 * running meanwhile neither repeats nor skips a row, as SQLite's one statement gives. A consumer
 * that stops early (a `break`) ends the transaction and returns the connection.
 */
async function* cursorRows(pool: pg.Pool, campaignId: number, states: readonly string[] | undefined, limit: number | undefined): AsyncGenerator<StoredReportRow> {
  const client = await pool.connect();
  const heard = () => {};
  // an idle checked-out client whose server goes away emits 'error': the next query reports it
  client.on('error', heard);
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const params: unknown[] = [campaignId];
    if (states) params.push(states);
    if (limit !== undefined) params.push(limit);
    await client.query(
      `DECLARE report_rows NO SCROLL CURSOR FOR SELECT ${REPORT_ROW_COLUMNS} FROM campaign_recipients WHERE campaign_id = $1
       ${states ? 'AND state = ANY($2::text[])' : ''} ORDER BY id ${limit !== undefined ? `LIMIT $${params.length}` : ''}`,
      params,
    );
    for (;;) {
      const r = await client.query<StoredReportRow>(`FETCH ${PAGE} FROM report_rows`);
      for (const row of r.rows) yield row;
      if (r.rows.length < PAGE) break;
    }
  } catch (error) {
    broken = isConnectionError(error);
    throw error;
  } finally {
    // read only: COMMIT ends the snapshot and closes the cursor
    if (!broken) await client.query('COMMIT').catch(() => {});
    client.off('error', heard);
    // a broken connection is destroyed, not handed to the next caller
    client.release(broken);
  }
}

export function pgResultsStore(pool: pg.Pool): ResultsStore {
  const all = async <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> => (await pool.query<T>(text, values)).rows;
  return {
    totals: async (id) => {
      const rows = await all<KindTotals & { kind: string }>(
        `SELECT kind, sum(CASE WHEN machine = 0 THEN count ELSE 0 END)::bigint AS count, sum(CASE WHEN machine = 0 THEN unique_count ELSE 0 END)::bigint AS "unique",
                sum(CASE WHEN machine = 1 THEN count ELSE 0 END)::bigint AS machine_count, sum(CASE WHEN machine = 1 THEN unique_count ELSE 0 END)::bigint AS machine_unique
         FROM engagement_hourly WHERE campaign_id = $1 AND link_id = 0 GROUP BY kind`,
        [id],
      );
      return Object.fromEntries(rows.map(({ kind, ...t }) => [kind, t]));
    },
    coverage: async (id) =>
      (
        await all<{ sent: number; no_report: number }>(
          `SELECT count(*) AS sent, coalesce(sum(CASE WHEN delivery_status IS NULL OR delivery_status IN ('sent', 'deferred') THEN 1 ELSE 0 END), 0)::bigint AS no_report
           FROM campaign_recipients WHERE campaign_id = $1 AND state = 'sent'`,
          [id],
        )
      )[0]!,
    unsubscribes: async (id) => (await all<{ n: number }>('SELECT count(*) AS n FROM suppressions WHERE source = $1', [`unsubscribe:c${id}`]))[0]!.n,
    links: (id) =>
      all<LinkStats>(
        `SELECT l.link_id, l.url, l.kind,
                coalesce(sum(CASE WHEN h.machine = 0 THEN h.count END), 0)::bigint AS clicks,
                coalesce(sum(CASE WHEN h.machine = 0 THEN h.unique_count END), 0)::bigint AS unique_clicks,
                coalesce(sum(CASE WHEN h.machine = 1 THEN h.count END), 0)::bigint AS machine_clicks
         FROM campaign_links l
         LEFT JOIN engagement_hourly h ON h.campaign_id = l.campaign_id AND h.link_id = l.link_id AND h.kind = 'click'
         WHERE l.campaign_id = $1 GROUP BY l.link_id, l.url, l.kind ORDER BY clicks DESC, l.link_id`,
        [id],
      ),
    timeline: (id) =>
      all<TimelineHour>(
        `WITH sends AS (
           SELECT (sent_at / 3600000) * 3600000 AS hour, count(*) AS n FROM campaign_recipients
           WHERE campaign_id = $1 AND state = 'sent' AND sent_at IS NOT NULL GROUP BY 1),
         hits AS (
           SELECT hour, sum(CASE WHEN kind = 'delivered' THEN count ELSE 0 END)::bigint AS delivered,
                  sum(CASE WHEN kind = 'open' AND machine = 0 THEN count ELSE 0 END)::bigint AS opens,
                  sum(CASE WHEN kind = 'click' AND machine = 0 THEN count ELSE 0 END)::bigint AS clicks
           FROM engagement_hourly WHERE campaign_id = $1 AND link_id = 0 GROUP BY hour),
         hours AS (SELECT hour FROM sends UNION SELECT hour FROM hits)
         SELECT h.hour, coalesce(s.n, 0) AS sent, coalesce(x.delivered, 0) AS delivered, coalesce(x.opens, 0) AS opens, coalesce(x.clicks, 0) AS clicks
         FROM hours h LEFT JOIN sends s ON s.hour = h.hour LEFT JOIN hits x ON x.hour = h.hour ORDER BY h.hour`,
        [id],
      ),
    rows: async function* (id, filter = {}) {
      const states = filter.states?.length ? filter.states : undefined;
      for await (const r of cursorRows(pool, id, states, filter.limit)) yield toReportRow(r);
    },
  };
}
