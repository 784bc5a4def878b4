/**
 * The SQLite send ledger (campaign_recipients): `SqliteLedger` implements the dialect-free
 * `Ledger` contract (db/ledger-contract.ts) that the dispatcher and send loop depend on.
 * Statements are prepared once per ledger: on the per-recipient path the drizzle builder costs
 * tens of µs a call.
 */
import type Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import { CUSTOMER_ROW_COLUMNS, type CustomerRow } from './customer-columns.js';
import { recentMessageCounter } from './compliance-sql.js';
import type { ClaimCandidate, ClaimOptions, ClaimResult, ClaimVerdict, Ledger, LedgerState, Outcome, PendingRecipient, SkipReason } from './ledger-contract.js';
import { givesBackUsage, LEDGER_STATES, usageDay, usageRefunds, type UsageRef } from './ledger-contract.js';
import type { Store } from './open.js';

export { LEDGER_STATES } from './ledger-contract.js';
export type { ClaimCandidate, ClaimCheck, ClaimedRow, ClaimOptions, ClaimResult, ClaimVerdict, Ledger, LedgerState, Outcome, PendingRecipient, SkipReason } from './ledger-contract.js';

/** The ledger of one campaign in this store (its channel decides the consent column; its provider the daily usage). */
export function openLedger(store: Store, campaign: { id: number; channel: Channel; provider: string }): Ledger {
  return new SqliteLedger(store.sqlite, campaign.id, campaign.channel, campaign.provider);
}

export class SqliteLedger implements Ledger {
  private readonly candidates: Database.Statement;
  private readonly toSending: Database.Statement;
  private readonly toSkipped: Database.Statement;
  private readonly toSent: Database.Statement;
  private readonly toFinal: Database.Statement;
  private readonly toPending: Database.Statement;
  private readonly toDeferred: Database.Statement;
  private readonly usage: Database.Statement;
  private readonly usageRows: Database.Statement;
  private readonly campaignState: Database.Statement;
  private readonly before: Database.Statement;
  private readonly refund: Database.Statement;
  private readonly consent: string;
  /** Frequency-cap counts (prepared on the first claim that needs them). */
  private recent?: (customerId: number, since: number) => number;

  constructor(
    private readonly sqlite: Database.Database,
    readonly campaignId: number,
    readonly channel: Channel,
    readonly provider: string,
  ) {
    this.consent = CHANNEL_FIELDS[channel].consent;
    // Due pending rows in index order (campaign_id, state, next_attempt_at, rowid): a range
    // scan with no sort, so claiming stays O(k) however long the list is.
    this.candidates = sqlite.prepare(`
      SELECT r.id AS rid, r.address AS address, r.attempts AS attempts, r.customer_id AS customerId, r.variant AS variant,
             EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = @channel AND s.address = r.address) AS suppressed,
             c.${this.consent} AS consent, ${CUSTOMER_ROW_COLUMNS}
      FROM campaign_recipients r LEFT JOIN customers c ON c.id = r.customer_id
      WHERE r.campaign_id = @campaign AND r.state = 'pending' AND r.next_attempt_at <= @now
      LIMIT @limit`);
    this.toSending = sqlite.prepare(`
      UPDATE campaign_recipients SET state = 'sending', attempts = attempts + 1, sender = @sender,
             claimed_at = @now, updated_at = @now
      WHERE id = @id AND state = 'pending'`);
    this.toSkipped = sqlite.prepare(`
      UPDATE campaign_recipients SET state = 'skipped', error_code = @code, error_message = @message, updated_at = @now
      WHERE id = @id AND state = 'pending'`);
    this.toSent = sqlite.prepare(`
      UPDATE campaign_recipients SET state = 'sent', provider_message_id = @pid, error_code = NULL,
             error_message = NULL, sent_at = @now, updated_at = @now
      WHERE id = @id AND state = 'sending'`);
    this.toFinal = sqlite.prepare(`
      UPDATE campaign_recipients SET state = @state, error_code = @code, error_message = @message, updated_at = @now
      WHERE id = @id AND state IN ('sending', 'pending')`);
    this.toPending = sqlite.prepare(`
      UPDATE campaign_recipients SET state = 'pending', error_code = @code, error_message = @message,
             next_attempt_at = @next, attempts = attempts - @refund, updated_at = @now
      WHERE id = @id AND state = 'sending'
      RETURNING sender, claimed_at AS claimedAt`);
    this.toDeferred = sqlite.prepare(`
      UPDATE campaign_recipients SET next_attempt_at = @until, updated_at = @now WHERE id = @id AND state = 'pending'`);
    this.usage = sqlite.prepare(`
      INSERT INTO sender_usage (provider, sender, day, count) VALUES (@provider, @sender, @day, @n)
      ON CONFLICT (provider, sender, day) DO UPDATE SET count = count + @n`);
    this.campaignState = sqlite.prepare('SELECT state FROM campaigns WHERE id = ?').pluck();
    this.usageRows = sqlite.prepare('SELECT sender, count FROM sender_usage WHERE provider = ? AND day = ?');
    this.before = sqlite.prepare('SELECT state, sender, claimed_at AS claimedAt FROM campaign_recipients WHERE id = ?');
    this.refund = sqlite.prepare(`
      UPDATE sender_usage SET count = max(count - @n, 0) WHERE provider = @provider AND sender = @sender AND day = @day`);
  }

  /** Rows left in `sending` by a run that died: they may have been sent, so they become `unknown`. */
  async recoverInFlight(now: number): Promise<number> {
    return this.sqlite
      .prepare(
        `UPDATE campaign_recipients SET state = 'unknown', error_code = 'in_flight_at_crash',
           error_message = 'the sending process stopped while this message was in flight; it may or may not have been sent',
           updated_at = ? WHERE campaign_id = ? AND state = 'sending'`,
      )
      .run(now, this.campaignId).changes;
  }

  /** Puts unknown and/or failed rows back in the queue (operator asked: --retry-unknown / --retry-failed). */
  async requeue(states: Array<'unknown' | 'failed'>, now: number): Promise<number> {
    if (states.length === 0) return 0;
    const placeholders = states.map(() => '?').join(',');
    return this.sqlite
      .prepare(
        `UPDATE campaign_recipients SET state = 'pending', next_attempt_at = 0, error_code = NULL, error_message = NULL,
           updated_at = ? WHERE campaign_id = ? AND state IN (${placeholders})`,
      )
      .run(now, this.campaignId, ...states).changes;
  }

  /**
   * Claims up to `limit` due rows in one transaction. Rows whose address became suppressed or
   * whose customer withdrew consent since prepare are skipped here, never sent. Due pending rows
   * come in index order (campaign_id, state, next_attempt_at, rowid): O(k) however long the list.
   */
  async claim(limit: number, now: number, opts: ClaimOptions): Promise<ClaimResult> {
    const claimed: ClaimResult['claimed'] = [];
    let skipped = 0;
    let deferred = 0;
    const day = usageDay(now);
    const perSender = new Map<string, number>();
    // frequency caps: counted inside this transaction, which holds the write lock, so no other
    // campaign's claim can commit a message to the same customer in between
    const window = opts.extraCheck?.recentWindowMs;
    const count = window === undefined ? undefined : (this.recent ??= recentMessageCounter({ sqlite: this.sqlite }, this.campaignId, this.channel));
    const recentOf = count && ((customerId: number) => count(customerId, now - window!));
    // IMMEDIATE: this transaction reads, then writes. Begun deferred, a write committed by another
    // process in between (`suppress add`, `mkt serve` unsubscribing) makes the upgrade fail at
    // once with SQLITE_BUSY ("database is locked"), bypassing busy_timeout; taking the write lock
    // first makes it wait its turn instead.
    const capped = opts.limits?.senders.some((s) => s.dailyCap !== undefined) ?? false;
    let cancelled = false;
    const tx = this.sqlite.transaction(() => {
      // a cancel committed before this claim stops it here (one indexed read under the write lock)
      if (this.campaignState.get(this.campaignId) === 'cancelled') {
        cancelled = true;
        return;
      }
      // the pool's caps count what the store counts (outcomes give units back), read under the write lock
      if (capped) opts.onUsage?.(this.usageMap(day));
      const rows = this.candidates.all({ channel: this.channel, campaign: this.campaignId, now, limit }) as Array<
        CustomerRow & { rid: number; address: string; attempts: number; customerId: number; variant: string | null; suppressed: number; consent: number | null }
      >;
      for (const row of rows) {
        const reason = claimVerdict(row, opts.extraCheck, recentOf);
        if (typeof reason === 'object') {
          // not now (quiet hours): stays pending, due again when its window opens
          this.toDeferred.run({ id: row.rid, until: reason.defer, now });
          deferred++;
          continue;
        }
        if (reason) {
          this.toSkipped.run({ id: row.rid, code: reason, message: skipMessage(reason), now });
          skipped++;
          continue;
        }
        const sender = opts.pickSender(row.address);
        if (sender === undefined) break;
        this.toSending.run({ id: row.rid, sender, now });
        perSender.set(sender, (perSender.get(sender) ?? 0) + 1);
        const { rid, address, attempts, variant, customerId: _c, suppressed: _s, consent: _k, ...customer } = row;
        claimed.push({ id: rid, address, attempts: attempts + 1, sender, customer, variant });
      }
      // daily-cap usage, one upsert per sender per claim rather than one per row
      for (const [sender, n] of perSender) this.usage.run({ provider: this.provider, sender, day, n });
    });
    tx.immediate();
    return cancelled ? { claimed, skipped, deferred, cancelled } : { claimed, skipped, deferred };
  }

  /**
   * Writes a batch of outcomes in one short transaction, without waiting for the disk: a batch
   * lost to a power cut leaves its rows `sending`, which the next run turns into `unknown` (never
   * sent again on its own), and the next claim's durable commit syncs it anyway. Claims, which
   * must survive a power cut, keep the store's synchronous = FULL.
   * The pragma is issued afresh each time: SQLite applies `PRAGMA synchronous` while preparing
   * it, so re-running a prepared one is not reliable. It cannot change inside a transaction
   * either; called inside one, the batch simply commits with the caller's transaction.
   */
  async record(outcomes: Outcome[], now: number): Promise<void> {
    if (outcomes.length === 0) return;
    const relax = !this.sqlite.inTransaction;
    if (relax) this.sqlite.pragma('synchronous = NORMAL');
    try {
      this.sqlite.transaction(() => {
        // daily-cap units given back (see givesBackUsage)
        const back: UsageRef[] = [];
        const giveBack = (row: UsageRef | undefined) => row && back.push(row);
        for (const o of outcomes) {
          if (o.state === 'sent') this.toSent.run({ id: o.id, pid: o.providerMessageId, now });
          else if (o.state === 'pending') giveBack(this.toPending.get({ id: o.id, code: o.code, message: o.message, next: o.nextAttemptAt, refund: o.refundAttempt ? 1 : 0, now }) as UsageRef | undefined);
          else {
            const was = givesBackUsage(o.state) ? (this.before.get(o.id) as (UsageRef & { state: LedgerState }) | undefined) : undefined;
            const changed = this.toFinal.run({ id: o.id, state: o.state, code: o.code, message: o.message, now }).changes > 0;
            if (changed && was?.state === 'sending') giveBack(was);
          }
        }
        for (const b of usageRefunds(back)) this.refund.run({ provider: this.provider, sender: b.sender, day: b.day, n: b.n });
      })();
    } finally {
      if (relax) this.sqlite.pragma('synchronous = FULL');
    }
  }

  /** Messages each sender of this provider has been given today (UTC), for daily caps. */
  async usageToday(now: number): Promise<Map<string, number>> {
    return this.usageMap(usageDay(now));
  }

  private usageMap(day: string): Map<string, number> {
    const rows = this.usageRows.all(this.provider, day) as Array<{ sender: string; count: number }>;
    return new Map(rows.map((r) => [r.sender, r.count]));
  }

  async counts(): Promise<Record<LedgerState, number>> {
    return ledgerCounts(this.sqlite, this.campaignId);
  }

  /** Pending rows not yet due, and when the first of them is. */
  async waiting(now: number): Promise<{ count: number; next: number | null }> {
    const r = this.sqlite
      .prepare(`SELECT count(*) AS n, min(next_attempt_at) AS next FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' AND next_attempt_at > ?`)
      .get(this.campaignId, now) as { n: number; next: number | null };
    return { count: r.n, next: r.next };
  }

  /** Pending rows due now. */
  async dueCount(now: number): Promise<number> {
    return (
      this.sqlite.prepare(`SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' AND next_attempt_at <= ?`).get(this.campaignId, now) as {
        n: number;
      }
    ).n;
  }

  /** Pending rows with their customers, streamed read-only in ledger order (dry runs, estimates). */
  async *pending(): AsyncIterable<PendingRecipient> {
    yield* pendingWithCustomers(this.sqlite, this.campaignId);
  }

  /** Records an opt-out that a provider reported (e.g. Twilio 21610) so no campaign sends there again. */
  async suppress(address: string, reason: string, source: string, now: number): Promise<void> {
    this.sqlite
      .prepare('INSERT INTO suppressions (channel, address, reason, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, address) DO NOTHING')
      .run(this.channel, address, reason, source, now);
  }
}

/** Rows per state of one campaign, synchronously (`campaign status` on SQLite reads it this way). */
export function ledgerCounts(sqlite: Database.Database, campaignId: number): Record<LedgerState, number> {
  const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
  const rows = sqlite.prepare('SELECT state, count(*) AS n FROM campaign_recipients WHERE campaign_id = ? GROUP BY state').all(campaignId) as Array<{
    state: LedgerState;
    n: number;
  }>;
  for (const r of rows) out[r.state] = r.n;
  return out;
}

/**
 * Why a due row is not claimed now (both ledgers decide alike): its customer is gone, its address
 * was suppressed or its consent withdrawn since prepare, or a claim-time rule (caps, quiet hours)
 * says so. `consent` is the store's own truth value (1 in SQLite, true in PostgreSQL).
 */
export function claimVerdict(
  row: ClaimCandidate & { id: number | null; suppressed: unknown; consent: unknown },
  extraCheck: ClaimOptions['extraCheck'],
  recentOf?: (customerId: number) => number,
): ClaimVerdict {
  if (row.id === null) return 'customer_missing';
  if (row.suppressed) return 'suppressed';
  if (row.consent !== 1 && row.consent !== true) return 'no_consent';
  if (!extraCheck) return undefined;
  // `recent` is read only when the rule asks (quiet hours may defer the row first)
  const recent = () => recentOf?.(row.customerId) ?? 0;
  return extraCheck.verdict({ customerId: row.customerId, address: row.address, timezone: row.timezone, country: row.country }, recent);
}

/** Why a row was skipped at claim time, in words (both ledgers write it). */
export function skipMessage(reason: SkipReason): string {
  switch (reason) {
    case 'suppressed':
      return 'the address was suppressed after the list was prepared';
    case 'no_consent':
      return 'the customer no longer consents to this channel';
    case 'customer_missing':
      return 'the customer was deleted after the list was prepared';
    default:
      return `not eligible at send time: ${reason}`;
  }
}

/** Pending rows with their customers, streamed read-only (dry runs render every one of them). */
function* pendingWithCustomers(sqlite: Database.Database, campaignId: number): Generator<PendingRecipient> {
  const stmt = sqlite.prepare(`
    SELECT r.id AS rid, r.address AS address, ${CUSTOMER_ROW_COLUMNS}
    FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
    WHERE r.campaign_id = ? AND r.state = 'pending' ORDER BY r.id`);
  for (const row of stmt.iterate(campaignId) as Iterable<CustomerRow & { rid: number; address: string }>) {
    const { rid, address, ...customer } = row;
    yield { id: rid, address, customer };
  }
}
