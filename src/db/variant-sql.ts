/**
 * A/B tests in the ledger: each row's variant, set at prepare; rows outside the test fraction
 * are held (variant null, due at HELD) until the winner is chosen; the metric per variant for
 * the decision. Writes are batched in one transaction with prepared statements.
 */
import { engagementRepository } from './engagement.js';
import type { Store } from './open.js';
import { tallyMetric, type VariantMetric, type VariantMetricName } from './variant-store.js';

/** "Not before the winner is chosen": the largest time a Date holds, so no claim reaches it. */
export const HELD = 8_640_000_000_000_000;

/** Gives every pending row without a variant its variant (or holds it: null); returns the rows held. */
export function assignVariants(store: Store, campaignId: number, pick: (customerId: number) => string | null, now: number): number {
  const { sqlite } = store;
  const rows = sqlite.prepare(`SELECT id, customer_id AS customerId FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' AND variant IS NULL AND next_attempt_at <> ?`);
  const put = sqlite.prepare('UPDATE campaign_recipients SET variant = ?, updated_at = ? WHERE id = ?');
  const hold = sqlite.prepare('UPDATE campaign_recipients SET next_attempt_at = ?, updated_at = ? WHERE id = ?');
  let held = 0;
  sqlite.transaction(() => {
    for (const r of rows.all(campaignId, HELD) as Array<{ id: number; customerId: number }>) {
      const v = pick(r.customerId);
      if (v === null) {
        hold.run(HELD, now, r.id);
        held++;
      } else put.run(v, now, r.id);
    }
  }).immediate();
  return held;
}

/** Rows held for the winner, and when the test's first message went out (null before). */
export function abProgress(store: Store, campaignId: number): { held: number; testSentAt: number | null } {
  const r = store.sqlite
    .prepare(
      `SELECT (SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' AND variant IS NULL) AS held,
              (SELECT min(sent_at) FROM campaign_recipients WHERE campaign_id = ? AND variant IS NOT NULL AND sent_at IS NOT NULL) AS first`,
    )
    .get(campaignId, campaignId) as { held: number; first: number | null };
  return { held: r.held, testSentAt: r.first };
}

/** Sends the winner to the held rows: they get its variant and become due now. */
export function releaseHeld(store: Store, campaignId: number, variant: string, now: number): number {
  return store.sqlite
    .prepare(`UPDATE campaign_recipients SET variant = ?, next_attempt_at = 0, updated_at = ? WHERE campaign_id = ? AND state = 'pending' AND variant IS NULL`)
    .run(variant, now, campaignId).changes;
}

/**
 * Per test variant: messages sent, and how many of them reached the metric. `delivered` comes
 * from provider feedback (delivery_status delivered or read); `clicks` / `opens` from the
 * tracking's seen-set (human only, campaign-wide), which both privacy modes keep: each test
 * row's digest is recomputed and looked up (EngagementRepository.seenHumans), so the aggregate
 * mode, which has no per-recipient events, decides as the individual one does.
 */
export function variantMetric(store: Store, campaignId: number, metric: VariantMetricName): VariantMetric {
  const rows = store.sqlite
    .prepare(
      `SELECT id, variant, delivery_status IN ('delivered', 'read') AS delivered FROM campaign_recipients
       WHERE campaign_id = ? AND variant IS NOT NULL AND sent_at IS NOT NULL ORDER BY id`,
    )
    .all(campaignId) as Array<{ id: number; variant: string; delivered: number | null }>;
  const reached =
    metric === 'delivered'
      ? new Set(rows.filter((r) => r.delivered === 1).map((r) => r.id))
      : engagementRepository(store).seenHumans(campaignId, metric === 'clicks' ? 'click' : 'open', rows.map((r) => r.id));
  return tallyMetric(rows, reached);
}

/**
 * The decision and the release in one IMMEDIATE transaction (VariantStore.decide): on SQLite one
 * sender holds the campaign anyway, and the write lock taken first makes the held count, the
 * metric and the release one consistent step.
 */
export function decideOnce<T extends { winner: string }>(
  store: Store,
  campaignId: number,
  metric: VariantMetricName,
  choose: (m: VariantMetric) => T,
  now: number,
): { decision: T; released: number } | undefined {
  return store.sqlite
    .transaction(() => {
      if (abProgress(store, campaignId).held === 0) return undefined;
      const decision = choose(variantMetric(store, campaignId, metric));
      return { decision, released: releaseHeld(store, campaignId, decision.winner, now) };
    })
    .immediate();
}
