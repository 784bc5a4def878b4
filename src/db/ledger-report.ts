/**
 * The reports repository: read-only aggregate and streaming queries over a campaign's ledger
 * (`campaign status`, `campaign report`). Nothing here writes.
 */
import type { Store } from './open.js';

/** The customer of the send list's first row (`campaign test` renders proofs with their data), if there is a list. */
export function firstRecipientCustomer(store: Store, campaignId: number): number | undefined {
  const row = store.sqlite.prepare('SELECT customer_id AS id FROM campaign_recipients WHERE campaign_id = ? ORDER BY id LIMIT 1').get(campaignId) as { id: number } | undefined;
  return row?.id;
}

export function countsBySender(store: Store, campaignId: number): Record<string, number> {
  const rows = store.sqlite
    .prepare(`SELECT sender, count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND state = 'sent' AND sender IS NOT NULL GROUP BY sender ORDER BY sender`)
    .all(campaignId) as Array<{ sender: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.sender, r.n]));
}

/** Errors grouped by code, most frequent first, each with one sample message. */
export function errorGroups(store: Store, campaignId: number, limit = 20): Array<{ code: string; state: string; count: number; sample: string }> {
  return store.sqlite
    .prepare(
      `SELECT error_code AS code, state, count(*) AS count, min(error_message) AS sample FROM campaign_recipients
       WHERE campaign_id = ? AND error_code IS NOT NULL GROUP BY error_code, state ORDER BY count DESC, code LIMIT ?`,
    )
    .all(campaignId, limit) as Array<{ code: string; state: string; count: number; sample: string }>;
}

export function sendTimes(store: Store, campaignId: number): { first: number | null; last: number | null; sent: number } {
  return store.sqlite
    .prepare(`SELECT min(sent_at) AS first, max(sent_at) AS last, count(sent_at) AS sent FROM campaign_recipients WHERE campaign_id = ? AND state = 'sent'`)
    .get(campaignId) as { first: number | null; last: number | null; sent: number };
}

export function deliveryCounts(store: Store, campaignId: number): Record<string, number> {
  const rows = store.sqlite
    .prepare(`SELECT delivery_status AS s, count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND delivery_status IS NOT NULL GROUP BY delivery_status`)
    .all(campaignId) as Array<{ s: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
}

export interface ReportRow {
  recipient_id: number;
  customer_id: number;
  address: string;
  state: string;
  sender: string | null;
  provider_message_id: string | null;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  sent_at: string | null;
  delivery_status: string | null;
  /** the A/B test variant the row was sent (null outside a test, or while held for the winner) */
  variant: string | null;
}

export interface ReportFilter {
  /** Only recipients in these ledger states (all when empty or absent). */
  states?: readonly string[];
  /** At most this many rows (in ledger order). */
  limit?: number;
}

/** A report row as both stores select it: `sent_at` still epoch ms. */
export type StoredReportRow = Omit<ReportRow, 'sent_at'> & { sent_at: number | null };

/** The columns of a report row, in the order both stores select them. */
export const REPORT_ROW_COLUMNS = `id AS recipient_id, customer_id, address, state, sender, provider_message_id, attempts, error_code, error_message,
            sent_at, delivery_status, variant`;

export const toReportRow = (r: StoredReportRow): ReportRow => ({ ...r, sent_at: r.sent_at === null ? null : new Date(r.sent_at).toISOString() });

/** Every recipient of a campaign (or those the filter keeps), streamed in ledger order (memory flat in list size). */
export function* reportRows(store: Store, campaignId: number, filter: ReportFilter = {}): Generator<ReportRow> {
  const states = filter.states?.length ? filter.states : undefined;
  const stmt = store.sqlite.prepare(
    `SELECT ${REPORT_ROW_COLUMNS} FROM campaign_recipients WHERE campaign_id = ?
            ${states ? `AND state IN (${states.map(() => '?').join(', ')})` : ''} ORDER BY id ${filter.limit !== undefined ? 'LIMIT ?' : ''}`,
  );
  const params = [campaignId, ...(states ?? []), ...(filter.limit !== undefined ? [filter.limit] : [])];
  for (const r of stmt.iterate(...params) as Iterable<StoredReportRow>) yield toReportRow(r);
}
