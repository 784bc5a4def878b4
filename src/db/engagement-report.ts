/**
 * The read side of engagement (`campaign status`, `links`, `compare`, `report --html`):
 * set-based aggregates over engagement_hourly (kept in every privacy mode, so these figures
 * never need a recipient id), campaign_links and the ledger. Nothing here writes. This is the
 * SQLite side (through ./sqlite-results.ts); ./pg/results.ts is its PostgreSQL twin.
 *
 * Unique counts add up across hours: engagement_hourly's unique_count is bumped once per
 * recipient, in the hour of their first hit (src/db/engagement.ts), so a sum is "recipients
 * who did it at least once". Link 0 is the campaign as a whole: its click row counts a
 * recipient once whatever links they clicked, and its open row includes the opens a human
 * click implied.
 */
import type { Store } from './open.js';

/** Totals of one kind (click, open, delivered, read, unsubscribe) on the campaign, human and machine apart. */
export interface KindTotals {
  count: number;
  unique: number;
  machine_count: number;
  machine_unique: number;
}

const EMPTY: KindTotals = { count: 0, unique: 0, machine_count: 0, machine_unique: 0 };

export function engagementTotals(store: Store, campaignId: number): Record<string, KindTotals> {
  const rows = store.sqlite
    .prepare(
      `SELECT kind, sum(CASE WHEN machine = 0 THEN count ELSE 0 END) AS count, sum(CASE WHEN machine = 0 THEN unique_count ELSE 0 END) AS "unique",
              sum(CASE WHEN machine = 1 THEN count ELSE 0 END) AS machine_count, sum(CASE WHEN machine = 1 THEN unique_count ELSE 0 END) AS machine_unique
       FROM engagement_hourly WHERE campaign_id = ? AND link_id = 0 GROUP BY kind`,
    )
    .all(campaignId) as Array<KindTotals & { kind: string }>;
  return Object.fromEntries(rows.map(({ kind, ...t }) => [kind, t]));
}

export const totalsOf = (all: Record<string, KindTotals>, kind: string): KindTotals => all[kind] ?? EMPTY;

/**
 * Sent rows by what the provider has said about them: a final report (delivered, read,
 * bounced, complained, failed, undelivered) or none yet (no report, or only `sent` /
 * `deferred`, which are not an outcome).
 */
export function reportCoverage(store: Store, campaignId: number): { sent: number; no_report: number } {
  return store.sqlite
    .prepare(
      `SELECT count(*) AS sent, coalesce(sum(CASE WHEN delivery_status IS NULL OR delivery_status IN ('sent', 'deferred') THEN 1 ELSE 0 END), 0) AS no_report
       FROM campaign_recipients WHERE campaign_id = ? AND state = 'sent'`,
    )
    .get(campaignId) as { sent: number; no_report: number };
}

/** Opt-outs through this campaign's own unsubscribe link (`mkt serve` records them as `unsubscribe:c<id>`). */
export function unsubscribesOf(store: Store, campaignId: number): number {
  return (store.sqlite.prepare('SELECT count(*) AS n FROM suppressions WHERE source = ?').get(`unsubscribe:c${campaignId}`) as { n: number }).n;
}

export interface LinkStats {
  link_id: number;
  url: string;
  kind: string;
  clicks: number;
  unique_clicks: number;
  machine_clicks: number;
}

/** Each link the campaign sent, with its human clicks (total and unique) and machine clicks: one grouped join. */
export function linkStats(store: Store, campaignId: number): LinkStats[] {
  return store.sqlite
    .prepare(
      `SELECT l.link_id, l.url, l.kind,
              coalesce(sum(CASE WHEN h.machine = 0 THEN h.count END), 0) AS clicks,
              coalesce(sum(CASE WHEN h.machine = 0 THEN h.unique_count END), 0) AS unique_clicks,
              coalesce(sum(CASE WHEN h.machine = 1 THEN h.count END), 0) AS machine_clicks
       FROM campaign_links l
       LEFT JOIN engagement_hourly h ON h.campaign_id = l.campaign_id AND h.link_id = l.link_id AND h.kind = 'click'
       WHERE l.campaign_id = ? GROUP BY l.link_id ORDER BY clicks DESC, l.link_id`,
    )
    .all(campaignId) as LinkStats[];
}

export interface TimelineHour {
  /** epoch ms at the start of the UTC hour */
  hour: number;
  sent: number;
  delivered: number;
  opens: number;
  clicks: number;
}

/** Per hour: messages sent (ledger), deliveries, human opens and human clicks (engagement counts). */
export function timeline(store: Store, campaignId: number): TimelineHour[] {
  return store.sqlite
    .prepare(
      `WITH sends AS (
         SELECT (sent_at / 3600000) * 3600000 AS hour, count(*) AS n FROM campaign_recipients
         WHERE campaign_id = @id AND state = 'sent' AND sent_at IS NOT NULL GROUP BY 1),
       hits AS (
         SELECT hour, sum(CASE WHEN kind = 'delivered' THEN count ELSE 0 END) AS delivered,
                sum(CASE WHEN kind = 'open' AND machine = 0 THEN count ELSE 0 END) AS opens,
                sum(CASE WHEN kind = 'click' AND machine = 0 THEN count ELSE 0 END) AS clicks
         FROM engagement_hourly WHERE campaign_id = @id AND link_id = 0 GROUP BY hour),
       hours AS (SELECT hour FROM sends UNION SELECT hour FROM hits)
       SELECT h.hour, coalesce(s.n, 0) AS sent, coalesce(x.delivered, 0) AS delivered, coalesce(x.opens, 0) AS opens, coalesce(x.clicks, 0) AS clicks
       FROM hours h LEFT JOIN sends s ON s.hour = h.hour LEFT JOIN hits x ON x.hour = h.hour ORDER BY h.hour`,
    )
    .all({ id: campaignId }) as TimelineHour[];
}
