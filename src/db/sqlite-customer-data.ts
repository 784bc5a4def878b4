/** The customer-data repository (./customer-data-store.ts) on SQLite: the synchronous queries, wrapped. */
import type { CustomerDataStore } from './customer-data-store.js';
import { engagementOf, feedbackOf, forgetPerson, individuallyTracked, messagesOf, suppressionsOf } from './customer-data.js';
import type { Store } from './open.js';

export function sqliteCustomerDataStore(store: Store): CustomerDataStore {
  return {
    messages: async (id) => messagesOf(store, id),
    engagement: async (id) => engagementOf(store, id),
    individuallyTracked: async (id, byDefault) => individuallyTracked(store, id, byDefault),
    suppressions: async (a) => suppressionsOf(store, a),
    feedback: async (id, a) => feedbackOf(store, id, a),
    forget: async (id, a, now) => forgetPerson(store, id, a, now),
  };
}
