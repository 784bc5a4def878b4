/** The A/B test repository on SQLite: the synchronous statements of ./variant-sql.ts, wrapped. */
import { ledgerParts } from './ledger-breakdown.js';
import type { Store } from './open.js';
import { abProgress, assignVariants, decideOnce, variantMetric } from './variant-sql.js';
import type { VariantStore } from './variant-store.js';

export function sqliteVariantStore(store: Store): VariantStore {
  return {
    assign: async (campaignId, pick, now) => assignVariants(store, campaignId, pick, now),
    progress: async (campaignId) => abProgress(store, campaignId),
    metric: async (campaignId, metric) => variantMetric(store, campaignId, metric),
    parts: async (campaignId) => ledgerParts(store, campaignId, 'variant'),
    decide: async (campaignId, metric, choose, now) => decideOnce(store, campaignId, metric, choose, now),
  };
}
