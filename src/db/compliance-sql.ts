/**
 * SQL of the compliance rules campaigns plug in: frequency-cap counts (at prepare and at
 * claim) and the audience sample pre-flight renders. Values are always bound; statements on
 * per-row paths are prepared once by their owner. The suppression list is ./suppressions.ts,
 * provider feedback ./feedback.ts.
 */
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import type { ExclusionRule } from './audience-sql.js';
import { CUSTOMER_ROW_COLUMNS, type CustomerRow } from './customer-columns.js';
import type { Store } from './open.js';
import type { SqlFragment } from './sql-fragment.js';

/*
 * Frequency caps count the messages a customer got on a channel from *other* campaigns within
 * the window: sent rows by their send time, plus rows in flight or unknown (they may well have
 * arrived) by their claim time. Uses campaign_recipients_customer_idx (customer_id, sent_at).
 */
const RECENT_MESSAGES = `
  SELECT count(*) FROM campaign_recipients fr JOIN campaigns fc ON fc.id = fr.campaign_id
  WHERE fr.customer_id = {customer} AND fr.campaign_id <> ? AND fc.channel = ?
    AND fr.state IN ('sent', 'sending', 'unknown') AND coalesce(fr.sent_at, fr.claimed_at) >= ?`;

/** Prepare-time exclusion: customers who already had `max` messages since `since`. */
export function frequencyCapRule(campaignId: number, channel: Channel, since: number, max: number): ExclusionRule {
  return { status: 'frequency_cap', sql: { text: `(${RECENT_MESSAGES.replace('{customer}', 'c.id')}) >= ?`, params: [campaignId, channel, since, max] } };
}

/** Claim-time twin of frequencyCapRule: messages one customer had since `since`. */
export function recentMessageCounter(store: Pick<Store, 'sqlite'>, campaignId: number, channel: Channel): (customerId: number, since: number) => number {
  const stmt = store.sqlite.prepare(`SELECT (${RECENT_MESSAGES.replace('{customer}', '?')}) AS n`);
  return (customerId, since) => (stmt.get(customerId, campaignId, channel, since) as { n: number }).n;
}

/**
 * Recipients a campaign would reach, streamed for pre-flight checks: the pending ledger rows
 * once prepared, else the live segment's customers with consent and an address (suppressed
 * addresses left out, as prepare would).
 */
export function* audienceSample(
  store: Store,
  opts: { campaignId: number; channel: Channel; prepared: boolean; where: SqlFragment | undefined },
): Generator<{ address: string; customer: CustomerRow; variant: string | null }> {
  const { address, consent } = CHANNEL_FIELDS[opts.channel];
  const stmt =
    opts.prepared || !opts.where
      ? store.sqlite.prepare(`SELECT r.address AS addr, r.variant AS variant, ${CUSTOMER_ROW_COLUMNS} FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
           WHERE r.campaign_id = ? AND r.state = 'pending' ORDER BY r.id`)
      : store.sqlite.prepare(`SELECT c.${address} AS addr, ${CUSTOMER_ROW_COLUMNS} FROM customers c
           WHERE c.${consent} = 1 AND c.${address} IS NOT NULL AND c.${address} <> ''
             AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = ? AND s.address = c.${address})
             AND (${opts.where.text}) ORDER BY c.id`);
  const rows = opts.prepared || !opts.where ? stmt.iterate(opts.campaignId) : stmt.iterate(opts.channel, ...opts.where.params);
  for (const row of rows as Iterable<CustomerRow & { addr: string; variant?: string | null }>) {
    const { addr, variant, ...customer } = row;
    yield { address: addr, customer, variant: variant ?? null };
  }
}
