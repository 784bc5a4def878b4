/**
 * What the send loop needs from a ledger, and nothing about how it is stored (listmonk's
 * `DataSource`): the dispatcher and `sendCampaign` see only this interface. `SqliteLedger`
 * (db/ledger.ts) is the embedded implementation; a PostgreSQL ledger (claiming with
 * `FOR UPDATE SKIP LOCKED`) will be the second one. No driver types, no SQL, no dialect here.
 *
 * States: pending → sending → sent | failed | unknown | pending (retry later); pending → skipped.
 * A claim (pending → sending, attempt counted, sender chosen) is durable before it returns, so
 * a crash leaves at most the in-flight rows in `sending`, which the next run turns into
 * `unknown` instead of sending them again.
 *
 * Every method returns a promise: PostgreSQL is a server. SQLite's ledger keeps its synchronous
 * statements inside and resolves at once, so the embedded path costs one microtask a call.
 */
import type { CustomerRow } from './customer-columns.js';

export type LedgerState = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown' | 'skipped';
export const LEDGER_STATES: LedgerState[] = ['pending', 'sending', 'sent', 'failed', 'unknown', 'skipped'];

export interface ClaimedRow {
  id: number;
  address: string;
  attempts: number;
  sender: string;
  customer: CustomerRow;
  /**
   * Send no sooner than this many ms from the claim: the row's slot under rates shared by
   * several workers (PostgreSQL). Absent: send now.
   */
  delayMs?: number;
  /** The A/B test variant this row is sent (null outside a test). */
  variant?: string | null;
}

export type Outcome =
  | { id: number; state: 'sent'; providerMessageId: string }
  | { id: number; state: 'failed' | 'unknown' | 'skipped'; code: string; message: string }
  | { id: number; state: 'pending'; code: string; message: string; nextAttemptAt: number; refundAttempt?: boolean };

/**
 * Whether an outcome gives back the daily-cap unit its claim reserved: only what the provider
 * accepted (`sent`) or may have accepted (`unknown`) stays counted; a row going back to
 * `pending` (a retry, a stop before its send slot, a refusal before sending), `failed` or
 * `skipped` was not delivered by the provider. Both ledgers apply it to rows leaving `sending`.
 */
export function givesBackUsage(state: Outcome['state']): boolean {
  return state !== 'sent' && state !== 'unknown';
}

/** The UTC day a daily cap counts a claim made at `at` (epoch ms) in. */
export function usageDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Whose daily-cap unit a row's claim took: its sender, at its claim time. */
export interface UsageRef {
  sender: string | null;
  claimedAt: number | null;
}

/** The units to give back, one entry per sender and claim day. */
export function usageRefunds(refs: UsageRef[]): Array<{ sender: string; day: string; n: number }> {
  const out = new Map<string, { sender: string; day: string; n: number }>();
  for (const { sender, claimedAt } of refs) {
    if (!sender || claimedAt === null) continue;
    const day = usageDay(Number(claimedAt));
    const key = `${sender}\u0000${day}`;
    const entry = out.get(key) ?? { sender, day, n: 0 };
    entry.n++;
    out.set(key, entry);
  }
  return [...out.values()];
}

/** Why a pending row was not claimed: it is skipped with this reason instead. */
export type SkipReason = 'suppressed' | 'no_consent' | 'customer_missing' | (string & {});

export interface ClaimOptions {
  /** Picks a sender for an address; undefined means "none available now": stop claiming. */
  pickSender: (address: string) => string | undefined;
  /** Extra eligibility rules at claim time (quiet hours, frequency caps). */
  extraCheck?: ClaimCheck;
  /**
   * The run's rates and caps, for a ledger shared by several workers (PostgreSQL), which
   * enforces them across all of them in the claim's transaction. A ledger with one sender at a
   * time (SQLite: the lease) leaves them to the dispatcher's own bucket and sender pool.
   */
  limits?: SharedLimits;
  /**
   * Told, inside the claim's transaction and before the first sender is picked, each sender's
   * daily usage as the store counts it (only when a sender has a daily cap): the dispatcher's
   * sender pool takes these numbers as its own, so its caps follow what other workers claimed
   * and what outcomes gave back, not a count of its own picks.
   */
  onUsage?: (usage: Map<string, number>) => void;
}

/** Rates and daily caps that hold across every worker of a campaign. */
export interface SharedLimits {
  /** The campaign's overall messages per second (--throttle, the provider's rate). */
  ratePerSec?: number;
  senders: Array<{ id: string; ratePerSec?: number; dailyCap?: number }>;
}

/** What a claim-time rule sees of a due row. */
export interface ClaimCandidate {
  customerId: number;
  address: string;
  timezone: string | null;
  country: string | null;
}

export type ClaimVerdict = SkipReason | { defer: number } | undefined;

/**
 * A claim-time rule, applied by the ledger to each due row inside the claim's transaction. Its
 * verdict is a skip reason (frequency caps), `{ defer: ms }` to leave the row pending until then
 * (quiet hours), or undefined to claim it. It stays synchronous (SQLite's claim is the hot
 * path): what it needs from the store the ledger reads in the transaction and hands over.
 */
export interface ClaimCheck {
  /**
   * Set for frequency caps: the ledger counts, in the claim's transaction, each candidate
   * customer's messages on the campaign's channel from OTHER campaigns since `now - this`
   * (sent rows by send time; `sending` and `unknown` rows by claim time), and `recent()` in the
   * verdict returns that count. Counted so that concurrent claims of other campaigns cannot
   * both miss each other (SQLite: one writer at a time; PostgreSQL: a per-customer lock).
   */
  recentWindowMs?: number;
  verdict(row: ClaimCandidate, recent: () => number): ClaimVerdict;
}

export interface ClaimResult {
  claimed: ClaimedRow[];
  /** Rows skipped at claim time (suppressed, no consent, a claim-time rule). */
  skipped: number;
  /** Rows left pending for later by a claim-time rule (quiet hours). */
  deferred: number;
  /** Nothing claimed because a shared limit (rate) says wait: this many ms. */
  waitMs?: number;
  /** Nothing claimed because every sender reached its daily cap (counted across workers). */
  exhausted?: boolean;
  /**
   * Nothing claimed because the campaign is cancelled: read in the claim's own transaction, so
   * a worker stops claiming at its first claim after `campaign cancel` committed, not only at
   * its next heartbeat.
   */
  cancelled?: boolean;
}

/** A pending recipient with its customer, as a dry run renders it. */
export interface PendingRecipient {
  id: number;
  address: string;
  customer: CustomerRow;
}

/**
 * One campaign's ledger, bound to its channel and provider. Every method is one short unit of
 * work; implementations throw the driver's error when the store refuses (see db/busy.ts for
 * telling "locked by another process" apart).
 */
export interface Ledger {
  readonly campaignId: number;
  /**
   * True when this ledger holds `ClaimOptions.limits` across every worker (PostgreSQL): its
   * claims are then cut to what the shared buckets allow, and the dispatcher's own bucket does
   * not also shrink them.
   */
  readonly sharesLimits?: boolean;

  /**
   * Claims up to `limit` due rows in one transaction that takes the write lock first. Rows whose
   * address became suppressed or whose customer withdrew consent since prepare are skipped
   * here, never sent; senders are picked inside the transaction and their daily usage counted.
   */
  claim(limit: number, now: number, opts: ClaimOptions): Promise<ClaimResult>;
  /** Writes a batch of outcomes in one short transaction. */
  record(outcomes: Outcome[], now: number): Promise<void>;
  /** Pending rows due now. */
  dueCount(now: number): Promise<number>;
  /** Pending rows not yet due, and when the first of them is. */
  waiting(now: number): Promise<{ count: number; next: number | null }>;
  /**
   * Messages each sender of this provider has been given today (UTC), for daily caps: a claim
   * reserves one per row (so concurrent claims cannot pass a cap), and an outcome that shows the
   * provider did not take the message gives it back (`pending` again, `failed`, `skipped`), so
   * what stays counted is what is in flight, `sent` or `unknown` (accepted, or may have been).
   */
  usageToday(now: number): Promise<Map<string, number>>;
  /** Records an opt-out that a provider reported (e.g. Twilio 21610) so no campaign sends there again. */
  suppress(address: string, reason: string, source: string, now: number): Promise<void>;

  /** Rows left in `sending` by a run that died: they may have been sent, so they become `unknown`. */
  recoverInFlight(now: number): Promise<number>;
  /** Puts unknown and/or failed rows back in the queue (the operator asked: --retry-unknown / --retry-failed). */
  requeue(states: Array<'unknown' | 'failed'>, now: number): Promise<number>;
  /** Rows per state. */
  counts(): Promise<Record<LedgerState, number>>;
  /** Pending rows with their customers, streamed read-only in ledger order (flat memory). */
  pending(): AsyncIterable<PendingRecipient>;
}
