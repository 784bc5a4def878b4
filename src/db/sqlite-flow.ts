/**
 * The flow repository (./flow-store.ts) on SQLite: the synchronous statements of
 * ./ledger-breakdown.ts and ./ledger-report.ts, wrapped.
 */
import type { FlowStore } from './flow-store.js';
import { ledgerParts } from './ledger-breakdown.js';
import { firstRecipientCustomer } from './ledger-report.js';
import type { Store } from './open.js';

export function sqliteFlowStore(store: Store): FlowStore {
  return {
    parts: async (campaignId, by) => ledgerParts(store, campaignId, by),
    firstRecipient: async (campaignId) => firstRecipientCustomer(store, campaignId),
  };
}
