/**
 * The store's repositories as both stores implement them (SQLite: ./sqlite-repositories.ts,
 * PostgreSQL: ./pg/repositories.ts), asynchronous because PostgreSQL is a server. The store
 * contract suite (test/unit/db/store-contract.test.ts) runs the same cases against both.
 *
 * This is the first slice of the PostgreSQL store (issue 14): customers, segment counts and
 * suppressions. The SQLite-only hot paths (import, prepare, the ledger) keep their synchronous
 * repositories until their PostgreSQL twins exist.
 */
import type { Channel } from '../channels.js';
import type { Campaign, CampaignPatch, NewCampaign } from './campaigns.js';
import type { CustomerRow } from './customer-columns.js';
import type { CustomerValues } from './customers-writer.js';
import type { Filter } from './filter.js';
import type { SuppressionRow } from './suppressions.js';

export type CustomerKey = 'id' | 'externalId' | 'email' | 'phone';

export interface CustomerStore {
  count(): Promise<number>;
  /** A page of customers in id order. */
  list(limit: number, offset?: number): Promise<CustomerRow[]>;
  /** The customer whose column `by` equals `value` (the first by id). */
  by(by: CustomerKey, value: string | number): Promise<CustomerRow | undefined>;
  /**
   * Adds customers (values in WRITE_COLUMNS order) in one transaction, skipping those whose
   * external id is already stored (`customers seed`); `replace` deletes every customer first.
   */
  insert(rows: Iterable<CustomerValues>, opts?: { replace?: boolean }): Promise<{ inserted: number; deleted: number }>;
}

export interface SegmentStore {
  /** How many customers match a resolved filter, compiled for this store's SQL dialect. */
  count(filter: Filter, now: Date): Promise<number>;
  /** The ids of the matching customers in id order (tests hold them to the plain evaluator). */
  ids(filter: Filter, now: Date): Promise<number[]>;
}

export interface NewSuppression {
  channel: Channel;
  address: string;
  reason: string;
  source: string;
  note?: string | null;
}

export interface SuppressionStore {
  /** True when the address was newly suppressed; an address already suppressed keeps its first reason. */
  add(s: NewSuppression, now: number): Promise<boolean>;
  /** True when a suppression was lifted. */
  lift(channel: Channel, address: string): Promise<boolean>;
  get(channel: Channel, address: string): Promise<SuppressionRow | undefined>;
  /** Every suppression, or one channel's, oldest first. */
  list(channel?: Channel): Promise<SuppressionRow[]>;
  /** Which of `addresses` (canonical form) are suppressed on `channel`. */
  matching(channel: Channel, addresses: string[]): Promise<Set<string>>;
}

/**
 * Campaign rows, typed (`Campaign`: settings, plan and pause reason decoded). The send lease
 * stays with the send path (db/campaigns.ts) until the worker registry replaces it.
 */
export interface CampaignStore {
  /** Inserts a draft; a taken name is the caller's check (create looks first). */
  create(c: NewCampaign, now: number): Promise<Campaign>;
  get(name: string): Promise<Campaign | undefined>;
  /** Every campaign in id order. */
  list(): Promise<Campaign[]>;
  /** `send --due` candidates: schedule passed (and not finished), or paused; by schedule, then id. */
  due(now: number): Promise<Campaign[]>;
  update(id: number, patch: CampaignPatch, now: number): Promise<void>;
}

/** An open store of either kind, seen through its repositories. */
export interface Repositories {
  kind: 'sqlite' | 'postgres';
  /** the file path or the redacted connection string: safe to print */
  name: string;
  customers: CustomerStore;
  segments: SegmentStore;
  suppressions: SuppressionStore;
  campaigns: CampaignStore;
  /** Brings the schema up to date (opening already does): how many migrations ran now, and in all. */
  migrate(): Promise<{ applied: number; total: number }>;
  close(): Promise<void>;
}
