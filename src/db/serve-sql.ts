/**
 * The store as `mkt serve` sees it (src/compliance/serve*.ts): one repository that holds the
 * connection, so the server never touches SQL. It sets how long the connection may wait for a
 * lock, finds which address an unsubscribe token's subject stands for, runs a batch of records
 * in one transaction, and writes through the suppression, feedback and engagement repositories.
 */
import Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import { EngagementRepository } from './engagement.js';
import { FeedbackRepository } from './feedback.js';
import type { Store } from './open.js';
import type { SuppressionRepository } from './suppressions.js';

export class ServeRepository {
  readonly feedback: FeedbackRepository;
  readonly suppressions: SuppressionRepository;
  readonly engagement: EngagementRepository;
  private readonly addresses: UnsubscribeAddresses;

  constructor(private readonly sqlite: Database.Database) {
    this.feedback = new FeedbackRepository(sqlite);
    this.suppressions = this.feedback.suppressions;
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

  /** Runs `fn` in one transaction (nested calls become savepoints), committed with fsync. */
  inTransaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /** See UnsubscribeAddresses.find. */
  unsubscribeAddress(s: { campaignId: number; customerId: number; channel: Channel }): string | undefined {
    return this.addresses.find(s);
  }
}

export const serveRepository = (store: Store): ServeRepository => new ServeRepository(store.sqlite);

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
