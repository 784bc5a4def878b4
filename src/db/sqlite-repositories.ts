/**
 * The SQLite store behind the asynchronous repositories (./repositories.ts): the existing
 * synchronous repositories, wrapped. Nothing new is said about SQL here except the few
 * statements the interfaces need beyond those repositories.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Channel } from '../channels.js';
import { measureDrift, prepareAudience } from './audience-sql.js';
import { allCampaigns, deleteDraftCampaign, dueCampaigns, findCampaign, insertCampaign, redefineCampaign, updateCampaign } from './campaigns.js';
import { audienceSample } from './compliance-sql.js';
import { keepForgottenHash } from './customer-data.js';
import { sqliteFlowStore } from './sqlite-flow.js';
import { countCustomerRows, customerRowBy, listCustomerRows } from './customers.js';
import { insertSeedCustomers } from './customers-writer.js';
import { sqliteImportStore } from './sqlite-import-store.js';
import { ledgerCounts } from './ledger.js';
import { countsBySender, deliveryCounts, errorGroups, sendTimes } from './ledger-report.js';
import { MIGRATIONS, openStore, type Store } from './open.js';
import type { Repositories } from './repositories.js';
import { breakdownMatching, countMatching, previewMatching } from './segment-queries.js';
import { filterToSql } from './segment-sql.js';
import { SuppressionRepository } from './suppressions.js';
import { sqliteVariantStore } from './sqlite-variants.js';
import { sqliteCustomerDataStore } from './sqlite-customer-data.js';
import { sqliteResultsStore } from './sqlite-results.js';
import { sqliteTrackingStore } from './sqlite-tracking.js';
import { addressHash } from '../util/address-hash.js';

/** Opens (creating and migrating) the SQLite store at `file` as repositories. */
export function openSqliteRepositories(file: string): Repositories {
  const before = migrationsRecorded(file);
  return sqliteRepositories(openStore(file), before);
}

/** An open SQLite store as repositories; `migrationsBefore`: how many were applied before it was opened. */
export function sqliteRepositories(store: Store, migrationsBefore?: number): Repositories {
  const suppressions = new SuppressionRepository(store.sqlite);
  const total = () => (store.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
  let before = migrationsBefore ?? total();
  return {
    kind: 'sqlite',
    name: store.path,
    customers: {
      count: async () => countCustomerRows(store),
      list: async (limit, offset) => listCustomerRows(store, limit, offset),
      by: async (by, value) => customerRowBy(store, by, value),
      insert: async (rows, opts) => insertSeedCustomers(store, rows, opts?.replace ?? false),
    },
    segments: {
      count: async (filter, now) => countMatching(store, filterToSql(filter, now)),
      ids: async (filter, now) => {
        const where = filterToSql(filter, now);
        return (store.sqlite.prepare(`SELECT c.id AS id FROM customers c WHERE ${where.text} ORDER BY c.id`).all(...where.params) as Array<{ id: number }>).map((r) => r.id);
      },
      breakdown: async (filter, now, by) => breakdownMatching(store, filterToSql(filter, now), by),
    },
    suppressions: {
      add: async (s, now) => suppressions.add(s, now),
      lift: async (channel, address) => suppressions.lift(channel, address),
      get: async (channel, address) => suppressions.get(channel, address),
      list: async (channel) => suppressions.list(channel),
      matching: async (channel: Channel, addresses: string[]) => suppressions.matching(channel, addresses),
    },
    forgotten: {
      keep: async (kind, address, now) => keepForgottenHash(store, addressHash(kind, address), now),
    },
    campaigns: {
      create: async (c, now) => insertCampaign(store, c, now),
      get: async (name) => findCampaign(store, name),
      list: async (opts) => allCampaigns(store, opts),
      due: async (now) => dueCampaigns(store, now),
      update: async (id, patch, now) => updateCampaign(store, id, patch, now),
      redefine: async (id, patch, now) => redefineCampaign(store, id, patch, now),
      deleteDraft: async (id) => deleteDraftCampaign(store, id),
    },
    audience: {
      prepare: async (q) => prepareAudience(store, { ...q, where: filterToSql(q.filter, new Date(q.now)) }),
      drift: async (q) => measureDrift(store, { ...q, where: filterToSql(q.filter, new Date(q.now)) }),
      sample: async function* (q) {
        yield* audienceSample(store, { ...q, where: q.filter && filterToSql(q.filter, new Date(q.now)) });
      },
    },
    reports: {
      counts: async (id) => ledgerCounts(store.sqlite, id),
      bySender: async (id) => countsBySender(store, id),
      errors: async (id, limit) => errorGroups(store, id, limit),
      sendTimes: async (id) => sendTimes(store, id),
      delivery: async (id) => deliveryCounts(store, id),
    },
    variants: sqliteVariantStore(store),
    flow: sqliteFlowStore(store),
    results: sqliteResultsStore(store),
    customerData: sqliteCustomerDataStore(store),
    segmentPreview: { preview: async (filter, now, limit) => previewMatching(store, filterToSql(filter, now), limit) },
    tracking: sqliteTrackingStore(store),
    imports: sqliteImportStore(store),
    migrate: async () => {
      migrate(store.db, { migrationsFolder: MIGRATIONS });
      const n = total();
      const applied = n - before;
      before = n;
      return { applied, total: n };
    },
    close: async () => store.close(),
  };
}

/**
 * Migrations recorded in the file (0 when there is none yet), without creating or changing
 * anything. A file that is not a database counts 0 here: opening it reports the problem.
 */
export function migrationsRecorded(file: string): number {
  if (file === ':memory:' || !existsSync(file)) return 0;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
    return table ? (db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n : 0;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}
