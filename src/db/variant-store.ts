/**
 * A/B tests in the ledger, as both stores implement them (SQLite: ./sqlite-variants.ts over
 * ./variant-sql.ts, PostgreSQL: ./pg/variants.ts). Each row's variant is set at prepare; rows
 * outside the test fraction are held (variant null, due at HELD) until the winner is chosen.
 * The variant contract suite (test/unit/db/variant-contract.test.ts) runs the same cases on both.
 */
import type { LedgerPart } from './ledger-breakdown.js';

export type VariantMetricName = 'clicks' | 'opens' | 'delivered';

/** Per test variant: messages sent, and how many of them reached the metric. */
export type VariantMetric = Map<string, { sent: number; successes: number }>;

export interface AbProgress {
  /** rows held for the winner */
  held: number;
  /** when the test's first message went out (null before) */
  testSentAt: number | null;
}

export interface VariantStore {
  /**
   * At prepare: gives every pending row without a variant the variant `pick` names for its
   * customer, or holds it (null); the rows held. Idempotent: `pick` is deterministic and rows
   * already assigned (or held) are left alone.
   */
  assign(campaignId: number, pick: (customerId: number) => string | null, now: number): Promise<number>;
  progress(campaignId: number): Promise<AbProgress>;
  /**
   * The metric per variant over its sent test rows: `delivered` from the delivery feedback
   * (delivered or read); `clicks` / `opens` from the tracking's campaign-wide human seen-set,
   * each row's digest recomputed with the campaign key (so both privacy modes decide alike).
   */
  metric(campaignId: number, metric: VariantMetricName): Promise<VariantMetric>;
  /** Each variant's rows and counts (key null: the held rows), in variant order, held first. */
  parts(campaignId: number): Promise<Array<LedgerPart<string | null>>>;
  /**
   * The decision, ONCE however many workers ask at the same time: in one transaction that
   * serialises deciders of the campaign, if rows are still held, reads the metric, lets
   * `choose` name the winner from it, and releases the held rows to that winner (they become
   * due now). Undefined when nothing was held any more: another worker decided first.
   */
  decide<T extends { winner: string }>(campaignId: number, metric: VariantMetricName, choose: (m: VariantMetric) => T, now: number): Promise<{ decision: T; released: number } | undefined>;
}

/** The metric per variant from the sent test rows and the ids of those that reached it (both stores count alike). */
export function tallyMetric(rows: Iterable<{ id: number; variant: string }>, reached: Set<number>): VariantMetric {
  const out: VariantMetric = new Map();
  for (const r of rows) {
    const v = out.get(r.variant) ?? { sent: 0, successes: 0 };
    v.sent++;
    if (reached.has(r.id)) v.successes++;
    out.set(r.variant, v);
  }
  return out;
}
