import type { Store } from '../db/open.js';
import type { PgStore } from '../db/pg/open.js';
import type { Repositories } from '../db/repositories.js';
import { ConfigError } from '../errors.js';

/** What campaign operations need from their surroundings; the CLI builds it, tests pass their own. */
export interface CampaignDeps {
  /** The store of either kind (SQLite or PostgreSQL) through its repositories: campaign rows go through here. */
  repos: Repositories;
  /** The SQLite store, for the parts not behind the repositories yet (the send path); absent on PostgreSQL. */
  store?: Store;
  /** The PostgreSQL store, for the send path (ledger, worker registry); absent on SQLite. */
  pg?: PgStore;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** Wall clock in ms. */
  now: () => number;
}

/** The SQLite store of `deps`, for a part that has no PostgreSQL twin yet; on PostgreSQL exit 78. */
export function sqliteStore(deps: Pick<CampaignDeps, 'store' | 'repos'>, what = 'this command'): Store {
  if (deps.store) return deps.store;
  throw new ConfigError('store_unsupported', `${what} does not run on a PostgreSQL store yet (${deps.repos.name})`, {
    hint: 'use an SQLite file (--db path) for it',
  });
}
