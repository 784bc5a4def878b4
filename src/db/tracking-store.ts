/**
 * The write side of tracking and provider feedback as both stores implement it (SQLite:
 * ./sqlite-tracking.ts over the synchronous repositories, PostgreSQL: ./pg/tracking.ts): the
 * links a send records, and the one-transaction units of work of `mkt serve` and `mkt feedback
 * import` (opt-outs, tracked hits, delivery reports). The store contract suite
 * (test/unit/db/tracking-contract.test.ts) runs the same cases against both.
 */
import type { Channel } from '../channels.js';
import type { CampaignLinkRow, EngagementHit, EngagementResult, LinkKind, RecipientTimes, SweepMove } from './engagement.js';
import type { LedgerMatch } from './feedback.js';

/** Engagement writes inside one transaction (serve's tracked hits, reported opens and clicks). */
export interface EngagementWrites {
  /** The campaign's settings JSON (its own `tracking:`), undefined for no such campaign. */
  campaignSettings(campaignId: number): Promise<string | undefined>;
  linkCount(campaignId: number): Promise<number>;
  /** The customer and times of those ledger rows that belong to that campaign (one read for a batch of hits). */
  recipients(campaignId: number, ledgerIds: number[]): Promise<Map<number, RecipientTimes>>;
  /** See TrackingStore.registerLinks (here inside the caller's transaction). */
  registerLinks(campaignId: number, links: Array<{ url: string; kind: LinkKind }>, now: number): Promise<Map<string, number>>;
  /** Records hits in order: hourly counts, the seen-set, the per-recipient event when `individual` (engagement.ts). */
  recordBatch(hits: EngagementHit[]): Promise<EngagementResult[]>;
  /** Moves clicks recorded human to machine: the earlier clicks of a sweep (engagement.ts). */
  moveToMachine(moves: SweepMove[]): Promise<void>;
}

/** What provider feedback and unsubscribes change, inside one transaction (feedback.ts says how). */
export interface FeedbackWrites {
  /** The ledger row an event is about: by delivery ref, else provider message id (the latest). */
  find(ref: { providerMessageId?: string; campaignId?: number; recipientId?: number }): Promise<LedgerMatch | undefined>;
  /** Whether this very event (same source, kind and payload) was logged before. */
  seenBefore(source: string, kind: string, providerMessageId: string | undefined, payload: string): Promise<boolean>;
  log(source: string, kind: string, providerMessageId: string | undefined, address: string | undefined, payload: string, now: number): Promise<void>;
  delivery(id: number, status: string, at: number, now: number): Promise<void>;
  /** An `unknown` (or `sending`) row a provider reports on becomes `sent`; true when it moved. */
  provenSent(id: number, providerMessageId: string | undefined, at: number, now: number): Promise<boolean>;
  /** The reason an address is suppressed for, if it is. */
  suppressedFor(channel: Channel, address: string): Promise<string | undefined>;
  /** True when newly suppressed; an address already suppressed keeps its first reason. */
  suppress(s: { channel: Channel; address: string; reason: string; source: string; note?: string | null }, now: number): Promise<boolean>;
  lift(channel: Channel, address: string): Promise<boolean>;
  /** The address an unsubscribe link stands for: the one the campaign sent to, else the customer's current one. */
  unsubscribeAddress(s: { campaignId: number; customerId: number; channel: Channel }): Promise<string | undefined>;
}

export interface TrackingTx {
  engagement: EngagementWrites;
  feedback: FeedbackWrites;
}

export interface TrackingStore {
  /** Every link a campaign recorded, by link id. */
  links(campaignId: number): Promise<CampaignLinkRow[]>;
  /** The destination of one link: the only URL a tracked link may lead to. */
  link(campaignId: number, linkId: number): Promise<CampaignLinkRow | undefined>;
  /**
   * The link ids of these destinations, adding the new ones (ids 1..n in the order first seen;
   * a URL already known keeps its id), committed before it returns: a send records a link
   * before the message carrying it goes out. Safe with several senders at once.
   */
  registerLinks(campaignId: number, links: Array<{ url: string; kind: LinkKind }>, now: number): Promise<Map<string, number>>;
  /**
   * Runs `fn` in one transaction, durable once it resolves (SQLite: fsync'ed commit;
   * PostgreSQL: COMMIT). Callers run one at a time (serve's queue orders them).
   */
  transaction<T>(fn: (tx: TrackingTx) => Promise<T>): Promise<T>;
  /**
   * The refusal every write would now meet because the store was moved away (an SQLite file `db
   * copy` marked moved: store_moved), read without a lock; PostgreSQL is never moved. For a
   * long-running writer (serve) to notice between writes; each write checks it again itself.
   */
  movedAway(): Promise<Error | undefined>;
  /** How long a write may wait for another process's lock (SQLite; PostgreSQL has nothing to set). */
  setBusyTimeout(ms: number): void;
  /**
   * Whether an error is the store refusing or unreachable (busy, locked, full, connection lost),
   * after which serve keeps the records in its spool and retries, as opposed to a bug.
   */
  refused(e: unknown): boolean;
}
