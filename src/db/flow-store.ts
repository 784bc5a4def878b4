/**
 * The per-recipient timing of a campaign's flow, as both stores implement it: `send_at_local`
 * due times (./local-time-sql.ts), recurring runs (./ledger-breakdown.ts) and the customer a
 * `campaign test` proof is rendered with. SQLite: ./sqlite-flow.ts, PostgreSQL: ./pg/flow.ts;
 * test/unit/db/flow-contract.test.ts holds both to the same answers.
 */
import type { Filter } from './filter.js';
import type { LedgerPart } from './ledger-breakdown.js';
import type { ZoneGroup } from './local-time-sql.js';

export type { ZoneGroup } from './local-time-sql.js';
export type { LedgerPart } from './ledger-breakdown.js';

export interface FlowStore {
  /**
   * `send_at_local`: gives the campaign's pending rows that have no due time yet (next_attempt_at
   * = 0) the instant `dueOf` computes for their customer's (timezone, country), in one
   * transaction, set-based; returns how many rows got one.
   */
  setLocalDueTimes(campaignId: number, dueOf: (g: ZoneGroup) => number): Promise<number>;
  /** The number the next run of a recurring campaign gets: one past the last (1 with no rows). */
  nextRun(campaignId: number): Promise<number>;
  /** The ledger counts of each run (recurring) or variant (A/B), in key order (null first). */
  parts<C extends 'run' | 'variant'>(campaignId: number, by: C): Promise<Array<LedgerPart<C extends 'run' ? number : string | null>>>;
  /** The customer id of the send list's first row (`campaign test`), if there is a list. */
  firstRecipient(campaignId: number): Promise<number | undefined>;
  /** The lowest customer id matching a resolved filter (the proof's fallback customer). */
  firstMatching(filter: Filter, now: Date): Promise<number | undefined>;
}
