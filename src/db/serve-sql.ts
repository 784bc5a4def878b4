/**
 * The SQL `mkt serve` runs itself: how long its connection may wait for a lock, and which
 * address an unsubscribe token's subject stands for. Everything else it writes goes through
 * the suppression and feedback writers of compliance-sql.ts.
 */
import Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';

/**
 * Sets how long a statement waits for another process's lock before SQLITE_BUSY. better-sqlite3
 * waits synchronously, so a server that must stay responsive uses 0 and retries later itself.
 */
export function setBusyTimeout(sqlite: Database.Database, ms: number): void {
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(ms))}`);
}

/** Any failure SQLite itself reported (busy, locked, full, I/O, …), as opposed to a bug in mkt. */
export function isSqliteError(e: unknown): boolean {
  return e instanceof Database.SqliteError;
}

/** Runs `fn` in one transaction (nested calls become savepoints). */
export function inTransaction<T>(sqlite: Database.Database, fn: () => T): T {
  return sqlite.transaction(fn)();
}

/**
 * The address an unsubscribe link stands for: the one the campaign sent to (its ledger row),
 * else the customer's current address on that channel.
 */
export class UnsubscribeAddresses {
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
