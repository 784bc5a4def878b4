/**
 * The SQLite statements behind `mkt serve`'s store (wrapped by ./sqlite-tracking.ts): one
 * repository that holds the connection. It sets how long the connection may wait for a lock,
 * finds which address an unsubscribe token's subject stands for, and writes through the
 * feedback (with its suppressions) and engagement repositories.
 */
import Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import { EngagementRepository } from './engagement.js';
import { FeedbackRepository } from './feedback.js';

export class ServeRepository {
  readonly feedback: FeedbackRepository;
  readonly engagement: EngagementRepository;
  private readonly addresses: UnsubscribeAddresses;

  constructor(private readonly sqlite: Database.Database) {
    this.feedback = new FeedbackRepository(sqlite);
    this.engagement = new EngagementRepository(sqlite);
    this.addresses = new UnsubscribeAddresses(sqlite);
  }

  /**
   * Sets how long a statement waits for another process's lock before SQLITE_BUSY. better-sqlite3
   * waits synchronously, so a server that must stay responsive uses 0 and retries later itself.
   */
  setBusyTimeout(ms: number): void {
    this.sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(ms))}`);
  }

  /** See UnsubscribeAddresses.find. */
  unsubscribeAddress(s: { campaignId: number; customerId: number; channel: Channel }): string | undefined {
    return this.addresses.find(s);
  }
}

/** Any failure SQLite itself reported (busy, locked, full, I/O, …), as opposed to a bug in mkt. */
export function isSqliteError(e: unknown): boolean {
  return e instanceof Database.SqliteError;
}

/**
 * The address an unsubscribe link stands for: the one the campaign sent to (its ledger row),
 * else the customer's current address on that channel.
 */
class UnsubscribeAddresses {
  private readonly ledger: Database.Statement;
  private readonly customer: Record<'email' | 'phone', Database.Statement>;

  constructor(sqlite: Database.Database) {
    this.ledger = sqlite.prepare('SELECT address FROM campaign_recipients WHERE campaign_id = ? AND customer_id = ? LIMIT 1');
    this.customer = {
      email: sqlite.prepare('SELECT email AS address FROM customers WHERE id = ?'),
      phone: sqlite.prepare('SELECT phone AS address FROM customers WHERE id = ?'),
    };
  }

  find(s: { campaignId: number; customerId: number; channel: Channel }): string | undefined {
    const sent = this.ledger.get(s.campaignId, s.customerId) as { address: string } | undefined;
    if (sent?.address) return sent.address;
    const row = this.customer[CHANNEL_FIELDS[s.channel].address].get(s.customerId) as { address: string | null } | undefined;
    return row?.address ?? undefined;
  }
}
