/**
 * The flow repository (./flow-store.ts) on SQLite: the synchronous statements of
 * ./local-time-sql.ts and ./ledger-breakdown.ts, wrapped.
 */
import type { FlowStore } from './flow-store.js';
import { ledgerParts, nextRunNumber } from './ledger-breakdown.js';
import { firstRecipientCustomer } from './ledger-report.js';
import { setLocalDueTimes } from './local-time-sql.js';
import type { Store } from './open.js';
import { filterToSql } from './segment-sql.js';

export function sqliteFlowStore(store: Store): FlowStore {
  return {
    setLocalDueTimes: async (campaignId, dueOf) => setLocalDueTimes(store, campaignId, dueOf),
    nextRun: async (campaignId) => nextRunNumber(store, campaignId),
    parts: async (campaignId, by) => ledgerParts(store, campaignId, by),
    firstRecipient: async (campaignId) => firstRecipientCustomer(store, campaignId),
    firstMatching: async (filter, now) => {
      const where = filterToSql(filter, now);
      const row = store.sqlite.prepare(`SELECT c.id AS id FROM customers c WHERE ${where.text} ORDER BY c.id LIMIT 1`).get(...where.params) as { id: number } | undefined;
      return row?.id;
    },
  };
}
