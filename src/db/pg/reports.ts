/**
 * The reports repository on PostgreSQL: the twin of ../ledger-report.ts (`campaign status`),
 * read-only aggregates over one campaign's ledger rows.
 */
import type pg from 'pg';
import { LEDGER_STATES, type LedgerState } from '../ledger-contract.js';
import type { ErrorGroup, ReportStore } from '../repositories.js';

async function keyed(pool: pg.Pool, text: string, campaignId: number): Promise<Record<string, number>> {
  const r = await pool.query<{ k: string; n: number }>(text, [campaignId]);
  return Object.fromEntries(r.rows.map((row) => [row.k, row.n]));
}

export function pgReportStore(pool: pg.Pool): ReportStore {
  return {
    counts: async (id) => {
      const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
      Object.assign(out, await keyed(pool, 'SELECT state AS k, count(*) AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state', id));
      return out;
    },
    // ORDER BY … COLLATE "C": SQLite's byte order, so both stores list senders and codes alike
    bySender: (id) =>
      keyed(pool, `SELECT sender AS k, count(*) AS n FROM campaign_recipients WHERE campaign_id = $1 AND state = 'sent' AND sender IS NOT NULL GROUP BY sender ORDER BY sender COLLATE "C"`, id),
    errors: async (id, limit = 20) =>
      (
        await pool.query<ErrorGroup>(
          `SELECT error_code AS code, state, count(*) AS count, min(error_message COLLATE "C") AS sample FROM campaign_recipients
           WHERE campaign_id = $1 AND error_code IS NOT NULL GROUP BY error_code, state ORDER BY count DESC, error_code COLLATE "C" LIMIT $2`,
          [id, limit],
        )
      ).rows,
    sendTimes: async (id) =>
      (
        await pool.query<{ first: number | null; last: number | null; sent: number }>(
          `SELECT min(sent_at) AS first, max(sent_at) AS last, count(sent_at) AS sent FROM campaign_recipients WHERE campaign_id = $1 AND state = 'sent'`,
          [id],
        )
      ).rows[0]!,
    delivery: (id) => keyed(pool, 'SELECT delivery_status AS k, count(*) AS n FROM campaign_recipients WHERE campaign_id = $1 AND delivery_status IS NOT NULL GROUP BY delivery_status', id),
  };
}
