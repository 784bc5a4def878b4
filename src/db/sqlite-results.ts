/** The results repository (./results-store.ts) on SQLite: the synchronous queries, wrapped. */
import { engagementTotals, linkStats, reportCoverage, timeline, unsubscribesOf } from './engagement-report.js';
import { reportRows } from './ledger-report.js';
import type { Store } from './open.js';
import type { ResultsStore } from './results-store.js';

export function sqliteResultsStore(store: Store): ResultsStore {
  return {
    totals: async (id) => engagementTotals(store, id),
    coverage: async (id) => reportCoverage(store, id),
    unsubscribes: async (id) => unsubscribesOf(store, id),
    links: async (id) => linkStats(store, id),
    timeline: async (id) => timeline(store, id),
    // a synchronous statement iterated: the consumer must not use this store between rows
    rows: async function* (id, filter) {
      yield* reportRows(store, id, filter);
    },
  };
}
