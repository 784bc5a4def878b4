/**
 * The flow of a campaign beyond its send list, as both stores implement it: recurring runs'
 * counts (./ledger-breakdown.ts; a run's number is taken by the audience prepare itself, under
 * its lock: `nextRun`, ./audience-sql.ts) and the customer a `campaign test` proof is rendered with. SQLite:
 * ./sqlite-flow.ts, PostgreSQL: ./pg/flow.ts; test/unit/db/flow-contract.test.ts holds both to
 * the same answers. (`send_at_local` due times are set by the audience prepare itself, in its
 * transaction: `localDue`, ./local-time-sql.ts and ./pg/flow.ts localDueTimesIn.)
 */
import type { LedgerPart } from './ledger-breakdown.js';

export type { ZoneGroup } from './local-time-sql.js';
export type { LedgerPart } from './ledger-breakdown.js';

export interface FlowStore {
  /** The ledger counts of each run (recurring) or variant (A/B), in key order (null first). */
  parts<C extends 'run' | 'variant'>(campaignId: number, by: C): Promise<Array<LedgerPart<C extends 'run' ? number : string | null>>>;
  /** The customer id of the send list's first row (`campaign test`), if there is a list. */
  firstRecipient(campaignId: number): Promise<number | undefined>;
}
