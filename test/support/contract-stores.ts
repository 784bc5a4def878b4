/**
 * The two stores of a contract suite (the pattern of test/unit/db/store-contract.test.ts): SQLite
 * in memory, always; PostgreSQL in the test file's own database when a server answers (see
 * ./pg.ts). Each opens as its repositories plus raw SQL with `?` placeholders on both (to arrange
 * rows and read them back) and the store handle itself, for what a suite builds on it.
 */
import { openStore, type Store } from '../../src/db/open.js';
import { openPgStore, type PgStore } from '../../src/db/pg/open.js';
import { pgRepositories } from '../../src/db/pg/repositories.js';
import { numbered } from '../../src/db/pg/transaction.js';
import type { Repositories } from '../../src/db/repositories.js';
import { sqliteRepositories } from '../../src/db/sqlite-repositories.js';
import type { PgTestDatabase } from './pg.js';

export interface ContractStore {
  repos: Repositories;
  /** a statement's rows (none for a write) */
  sql<T>(text: string, ...params: unknown[]): Promise<T[]>;
  sqlite?: Store;
  pg?: PgStore;
}

export interface ContractStoreKind {
  name: 'sqlite' | 'postgres';
  available: boolean;
  open(): Promise<ContractStore>;
}

export function contractStores(pgDb: PgTestDatabase | undefined): ContractStoreKind[] {
  return [
    {
      name: 'sqlite',
      available: true,
      open: async () => {
        const store = openStore(':memory:');
        return {
          repos: sqliteRepositories(store),
          sql: async <T,>(text: string, ...params: unknown[]) => {
            const stmt = store.sqlite.prepare(text);
            return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
          },
          sqlite: store,
        };
      },
    },
    {
      name: 'postgres',
      available: pgDb !== undefined,
      open: async () => {
        const store = await openPgStore(pgDb!.url);
        return { repos: pgRepositories(store), sql: async <T,>(text: string, ...params: unknown[]) => (await store.pool.query(numbered(text, 0), params)).rows as T[], pg: store };
      },
    },
  ];
}
