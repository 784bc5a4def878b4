/**
 * Imports on SQLite (./import-store.ts): the import's one IMMEDIATE transaction around the
 * row-by-row statements of ./customers-writer.ts and ./suppressions.ts.
 */
import { ForgottenAddresses } from './customer-data.js';
import { CustomerImportRepository } from './customers-writer.js';
import type { ImportStore } from './import-store.js';
import type { Store } from './open.js';
import { suppressionRepository } from './suppressions.js';
import { inWriteTransaction } from './transaction.js';

export function sqliteImportStore(store: Store): ImportStore {
  return {
    forgotten: async () => new ForgottenAddresses(store),
    customers: (body, keep) =>
      inWriteTransaction(
        store,
        async () => {
          const rows = new CustomerImportRepository(store);
          const result = await body({ kind: 'sqlite', rows });
          rows.dispose(); // the temporary table goes with a rollback anyway
          return result;
        },
        keep,
      ),
    suppressions: (body) =>
      inWriteTransaction(store, async () => {
        const writer = suppressionRepository(store);
        return body(async (rows, now) => rows.reduce((n, s) => n + (writer.add(s, now) ? 1 : 0), 0));
      }),
  };
}
