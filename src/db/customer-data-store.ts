/**
 * One person's data as both stores give it (`customers history`, `export`, `forget`): SQLite in
 * ./sqlite-customer-data.ts (wrapping ./customer-data.ts), PostgreSQL in ./pg/customer-data.ts.
 * test/unit/db/results-contract.test.ts holds the two equal.
 */
import type { EngagementEventRow, FeedbackEventRow, ForgetCounts, MessageRow, PersonAddresses } from './customer-data.js';
import type { SuppressionRow } from './suppressions.js';

export interface CustomerDataStore {
  /** Every ledger row of this customer, oldest campaign first. */
  messages(customerId: number): Promise<MessageRow[]>;
  /** The per-recipient engagement events kept for this customer (`tracking.individual: true` only). */
  engagement(customerId: number): Promise<EngagementEventRow[]>;
  /** The ledger ids of this customer's rows in campaigns that track individually (their own setting, else `byDefault`). */
  individuallyTracked(customerId: number, byDefault: boolean): Promise<Set<number>>;
  /** The suppressions of this person's addresses, on every channel they can be reached on. */
  suppressions(a: PersonAddresses): Promise<SuppressionRow[]>;
  /** Provider feedback about this person: by address, or by a message sent to them. */
  feedback(customerId: number, a: PersonAddresses): Promise<FeedbackEventRow[]>;
  /** Erases the person in one transaction, keeping their addresses' hashes (see forgetPerson). */
  forget(customerId: number, a: PersonAddresses, now: number): Promise<ForgetCounts>;
}
