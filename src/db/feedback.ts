/**
 * The SQL of provider feedback (src/compliance/feedback/apply.ts): matching an event to its
 * ledger row (by delivery ref, else provider message id), recording the delivery outcome,
 * proving an `unknown` attempt `sent`, and logging the raw event in feedback_events.
 */
import type Database from 'better-sqlite3';
import type { Channel } from '../channels.js';
import type { Store } from './open.js';
import { SuppressionRepository } from './suppressions.js';

export interface LedgerMatch {
  id: number;
  campaign_id: number;
  customer_id: number;
  address: string;
  channel: Channel;
  state: string;
  delivery_status: string | null;
  /** the campaign's own tracking privacy mode (settings `tracking.individual`: 1/0), null when it follows mkt.yaml */
  individual: number | null;
}

/**
 * What provider feedback changes in the store, prepared once per batch: the ledger row it is
 * about, its delivery outcome, the raw event log, and (through `suppressions`) opt-outs.
 */
export class FeedbackRepository {
  readonly suppressions: SuppressionRepository;
  private readonly byProviderId: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly setDelivery: Database.Statement;
  private readonly proveSent: Database.Statement;
  private readonly event: Database.Statement;
  private readonly liftable: Database.Statement;
  private readonly logged: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    this.suppressions = new SuppressionRepository(sqlite);
    this.liftable = sqlite.prepare('SELECT reason FROM suppressions WHERE channel = ? AND address = ?');
    const cols = `r.id, r.campaign_id, r.customer_id, r.address, c.channel, r.state, r.delivery_status,
      json_extract(c.settings, '$.tracking.individual') AS individual
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
    // through the provider id index: the events about one message are few
    this.logged = sqlite.prepare('SELECT 1 FROM feedback_events WHERE provider_message_id IS ? AND source = ? AND kind = ? AND payload = ? LIMIT 1');
  }

  /** Whether this very event (same source, kind and payload) was applied before. */
  seenBefore(source: string, kind: string, providerMessageId: string | undefined, payload: string): boolean {
    return this.logged.get(providerMessageId ?? null, source, kind, payload) !== undefined;
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

  /** The reason an address is suppressed for, if it is. */
  suppressedFor(channel: Channel, address: string): string | undefined {
    return (this.liftable.get(channel, address) as { reason: string } | undefined)?.reason;
  }
}

export const feedbackRepository = (store: Store): FeedbackRepository => new FeedbackRepository(store.sqlite);
