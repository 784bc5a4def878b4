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
import type { AddressKind } from '../util/address-hash.js';
import type { AudienceDrift, ExclusionRule, NextRun, PreparedAudience } from './audience-sql.js';
import type { Campaign, CampaignDefinitionPatch, CampaignPatch, ListOptions, NewCampaign } from './campaigns.js';
import type { CustomerRow } from './customer-columns.js';
import type { CustomerDataStore } from './customer-data-store.js';
import type { CustomerValues } from './customers-writer.js';
import type { Field, Filter } from './filter.js';
import type { FlowStore, ZoneGroup } from './flow-store.js';
import type { ImportStore } from './import-store.js';
import type { LedgerState } from './ledger-contract.js';
import type { ResultsStore } from './results-store.js';
import type { SegmentPreviewStore } from './segment-preview-store.js';
import type { SuppressionRow } from './suppressions.js';
import type { VariantStore } from './variant-store.js';
import type { TrackingStore } from './tracking-store.js';

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
  /** The matching customers grouped by a field's value (`k` null when missing), largest group first. */
  breakdown(filter: Filter, now: Date, by: Field): Promise<Array<{ k: unknown; n: number }>>;
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
  /** Every campaign in id order (`archived: false`: without those `campaign archive` hid). */
  list(opts?: ListOptions): Promise<Campaign[]>;
  /** `send --due` candidates: schedule passed (and not finished), or paused; by schedule, then id. */
  due(now: number): Promise<Campaign[]>;
  update(id: number, patch: CampaignPatch, now: number): Promise<void>;
  /** Changes the definition (`campaign edit`, `schedule`); the caller decided the state allows it. */
  redefine(id: number, patch: CampaignDefinitionPatch, now: number): Promise<void>;
  /** Deletes the campaign if it is still a draft (checked in the statement); false when it was not. */
  deleteDraft(id: number): Promise<boolean>;
}

/**
 * People erased on request (`customers forget`): only the one-way hash of each address
 * (src/util/address-hash.ts) is kept, and prepare excludes a matching customer as `forgotten`.
 */
export interface ForgottenStore {
  /** Remembers an erased address; true when it was not remembered yet. */
  keep(kind: AddressKind, address: string, now: number): Promise<boolean>;
}

/** Whose live audience a campaign has: the segment's filter (compiled by the store for its dialect) and the extra rules. */
export interface AudienceQuery {
  campaignId: number;
  channel: Channel;
  filter: Filter;
  /** The clock: relative dates in the filter, and the rows' times. */
  now: number;
  /** Extra exclusions (frequency caps): SQL both stores understand, `?` placeholders. */
  exclusions: ExclusionRule[];
}

/**
 * The send list of a campaign (`campaign prepare`, `recount`, pre-flight): the live audience
 * classified by the first exclusion that applies (invalid address, no consent, suppressed, the
 * extra rules; one row per address, the lowest customer id) and frozen set-based, never row by row.
 */
export interface AudienceStore {
  /** Replaces the list with the eligible audience (`refresh`: adds only newcomers) in one transaction. */
  /** `run`: the recurring run that appends the rows (1 by default). */
  /** `nextRun`: instead, a new recurring run, numbered and started under the prepare's lock (NextRun; `run_taken` when an overlapping run started it). */
  /** `localDue`: `send_at_local`'s due instant per zone group, given to the rows added, in the same transaction. */
  /** `hashSeed`: the plan hash's seed; the result then carries the list's hash (./list-hash.ts), equal on both stores. */
  prepare(q: AudienceQuery & { refresh: boolean; run?: number; nextRun?: NextRun; localDue?: (g: ZoneGroup) => number; hashSeed?: string }): Promise<PreparedAudience>;
  /** Live audience vs frozen list, changing nothing. */
  drift(q: AudienceQuery): Promise<AudienceDrift>;
  /**
   * Recipients a campaign would reach, streamed for pre-flight: the pending rows once prepared
   * (ledger order), else the live segment's customers with consent and an address, not suppressed.
   */
  sample(q: { campaignId: number; channel: Channel; prepared: boolean; filter: Filter | undefined; now: number }): AsyncIterable<{ address: string; customer: CustomerRow; variant?: string | null }>;
}

export interface ErrorGroup {
  code: string;
  state: string;
  count: number;
  sample: string;
}

/** Read-only aggregates over a campaign's ledger (`campaign status`). */
export interface ReportStore {
  counts(campaignId: number): Promise<Record<LedgerState, number>>;
  /** Sent rows per sender. */
  bySender(campaignId: number): Promise<Record<string, number>>;
  /** Errors grouped by code and state, most frequent first, each with one sample message. */
  errors(campaignId: number, limit?: number): Promise<ErrorGroup[]>;
  sendTimes(campaignId: number): Promise<{ first: number | null; last: number | null; sent: number }>;
  /** Rows per delivery status (feedback). */
  delivery(campaignId: number): Promise<Record<string, number>>;
}

/** An open store of either kind, seen through its repositories. */
export interface Repositories {
  kind: 'sqlite' | 'postgres';
  /** the file path or the redacted connection string: safe to print */
  name: string;
  customers: CustomerStore;
  segments: SegmentStore;
  suppressions: SuppressionStore;
  forgotten: ForgottenStore;
  campaigns: CampaignStore;
  audience: AudienceStore;
  reports: ReportStore;
  /** A/B tests: variants at prepare, held rows, the metric and the decision (./variant-store.ts). */
  variants: VariantStore;
  flow: FlowStore;
  results: ResultsStore;
  customerData: CustomerDataStore;
  segmentPreview: SegmentPreviewStore;
  tracking: TrackingStore;
  imports: ImportStore;
  /** Brings the schema up to date (opening already does): how many migrations ran now, and in all. */
  migrate(): Promise<{ applied: number; total: number }>;
  close(): Promise<void>;
}
