/**
 * SQL of the compliance rules: the suppression list, frequency-cap counts, delivery outcomes
 * reported after the send, and the raw feedback log. Values are always bound; statements on
 * per-row paths are prepared once by their owner.
 */
import type Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import type { CustomerRow } from '../customers/record.js';
import type { ExclusionRule } from './audience-sql.js';
import { CUSTOMER_ROW_COLUMNS } from './customer-columns.js';
import type { SqlFragment } from './sql-fragment.js';

export interface SuppressionRow {
  channel: Channel;
  address: string;
  reason: string;
  source: string | null;
  note: string | null;
  created_at: number;
}

/** Prepared suppression writes, for loops (imports, feedback batches). */
export class SuppressionWriter {
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(sqlite: Database.Database) {
    // An address already suppressed keeps its first reason: that is when consent was lost.
    this.insert = sqlite.prepare(`
      INSERT INTO suppressions (channel, address, reason, source, note, created_at)
      VALUES (@channel, @address, @reason, @source, @note, @now)
      ON CONFLICT (channel, address) DO NOTHING`);
    this.remove = sqlite.prepare('DELETE FROM suppressions WHERE channel = ? AND address = ?');
  }

  /** True when the address was newly suppressed, false when it already was. */
  add(r: { channel: Channel; address: string; reason: string; source: string; note?: string | null }, now: number): boolean {
    return this.insert.run({ ...r, note: r.note ?? null, now }).changes === 1;
  }

  /** True when a suppression was lifted. */
  lift(channel: Channel, address: string): boolean {
    return this.remove.run(channel, address).changes === 1;
  }
}

export function getSuppression(sqlite: Database.Database, channel: Channel, address: string): SuppressionRow | undefined {
  return sqlite.prepare('SELECT channel, address, reason, source, note, created_at FROM suppressions WHERE channel = ? AND address = ?').get(channel, address) as
    | SuppressionRow
    | undefined;
}

export function listSuppressionRows(sqlite: Database.Database, channel?: Channel): SuppressionRow[] {
  const base = 'SELECT channel, address, reason, source, note, created_at FROM suppressions';
  return (channel ? sqlite.prepare(`${base} WHERE channel = ? ORDER BY created_at, id`).all(channel) : sqlite.prepare(`${base} ORDER BY channel, created_at, id`).all()) as SuppressionRow[];
}

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
export function recentMessageCounter(sqlite: Database.Database, campaignId: number, channel: Channel): (customerId: number, since: number) => number {
  const stmt = sqlite.prepare(`SELECT (${RECENT_MESSAGES.replace('{customer}', '?')}) AS n`);
  return (customerId, since) => (stmt.get(customerId, campaignId, channel, since) as { n: number }).n;
}

export interface LedgerMatch {
  id: number;
  campaign_id: number;
  customer_id: number;
  address: string;
  channel: Channel;
  state: string;
  delivery_status: string | null;
}

/** What provider feedback changes in the ledger, prepared once per batch. */
export class FeedbackWriter {
  private readonly byProviderId: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly setDelivery: Database.Statement;
  private readonly proveSent: Database.Statement;
  private readonly event: Database.Statement;

  constructor(sqlite: Database.Database) {
    const cols = `r.id, r.campaign_id, r.customer_id, r.address, c.channel, r.state, r.delivery_status
      FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id`;
    this.byProviderId = sqlite.prepare(`SELECT ${cols} WHERE r.provider_message_id = ? ORDER BY r.id DESC LIMIT 1`);
    this.byId = sqlite.prepare(`SELECT ${cols} WHERE r.id = ? AND r.campaign_id = ?`);
    this.setDelivery = sqlite.prepare('UPDATE campaign_recipients SET delivery_status = ?, delivery_at = ?, updated_at = ? WHERE id = ?');
    // A delivery report is proof that an `unknown` attempt was accepted: it becomes `sent`.
    this.proveSent = sqlite.prepare(`
      UPDATE campaign_recipients SET state = 'sent', provider_message_id = coalesce(provider_message_id, @pid),
             sent_at = coalesce(sent_at, @at), error_code = NULL, error_message = NULL, updated_at = @now
      WHERE id = @id AND state IN ('unknown', 'sending')`);
    this.event = sqlite.prepare(`
      INSERT INTO feedback_events (source, kind, provider_message_id, address, payload, received_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
  }

  find(ref: { providerMessageId?: string; campaignId?: number; recipientId?: number }): LedgerMatch | undefined {
    if (ref.campaignId !== undefined && ref.recipientId !== undefined) {
      const hit = this.byId.get(ref.recipientId, ref.campaignId) as LedgerMatch | undefined;
      if (hit) return hit;
    }
    if (ref.providerMessageId) return this.byProviderId.get(ref.providerMessageId) as LedgerMatch | undefined;
    return undefined;
  }

  delivery(id: number, status: string, at: number, now: number): void {
    this.setDelivery.run(status, at, now, id);
  }

  provenSent(id: number, providerMessageId: string | undefined, at: number, now: number): boolean {
    return this.proveSent.run({ id, pid: providerMessageId ?? null, at, now }).changes === 1;
  }

  log(source: string, kind: string, providerMessageId: string | undefined, address: string | undefined, payload: string, now: number): void {
    this.event.run(source, kind, providerMessageId ?? null, address ?? null, payload, now);
  }
}

/**
 * Recipients a campaign would reach, streamed for pre-flight checks: the pending ledger rows
 * once prepared, else the live segment's customers with consent and an address (suppressed
 * addresses left out, as prepare would).
 */
export function* audienceSample(
  sqlite: Database.Database,
  opts: { campaignId: number; channel: Channel; prepared: boolean; where: SqlFragment | undefined },
): Generator<{ address: string; customer: CustomerRow }> {
  const { address, consent } = CHANNEL_FIELDS[opts.channel];
  const stmt =
    opts.prepared || !opts.where
      ? sqlite.prepare(`SELECT r.address AS addr, ${CUSTOMER_ROW_COLUMNS} FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
           WHERE r.campaign_id = ? AND r.state = 'pending' ORDER BY r.id`)
      : sqlite.prepare(`SELECT c.${address} AS addr, ${CUSTOMER_ROW_COLUMNS} FROM customers c
           WHERE c.${consent} = 1 AND c.${address} IS NOT NULL AND c.${address} <> ''
             AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = ? AND s.address = c.${address})
             AND (${opts.where.text}) ORDER BY c.id`);
  const rows = opts.prepared || !opts.where ? stmt.iterate(opts.campaignId) : stmt.iterate(opts.channel, ...opts.where.params);
  for (const row of rows as Iterable<CustomerRow & { addr: string }>) {
    const { addr, ...customer } = row;
    yield { address: addr, customer: customer as CustomerRow };
  }
}
