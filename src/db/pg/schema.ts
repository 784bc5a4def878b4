/**
 * The PostgreSQL store's schema: the same tables, columns and indexes as the SQLite one
 * (../schema.ts; test/unit/db/pg-schema.test.ts holds the two together), in PostgreSQL's types:
 * - times stay integer epoch milliseconds (bigint), so segment and ledger SQL compare the same
 *   numbers on both stores;
 * - the opt-ins are boolean; repositories hand them out as 0/1, as CustomerRow has them;
 * - customer attributes are jsonb, so segment filters on them use jsonb operators and indexes.
 * Ids are bigint identities BY DEFAULT, so that a copied workspace keeps its ids.
 * Changing this file means running `npm run db:generate:pg` and committing the new migration.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { CHANNELS } from '../../channels.js';
import { CAMPAIGN_STATES } from '../campaign-states.js';

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();
/** Epoch milliseconds. */
const ms = (name: string) => bigint(name, { mode: 'number' });
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

export const customers = pgTable(
  'customers',
  {
    id: id(),
    externalId: text('external_id'),
    email: text('email'),
    phone: text('phone'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    country: text('country'),
    timezone: text('timezone'),
    locale: text('locale'),
    lifetimeValue: doublePrecision('lifetime_value'),
    orderCount: integer('order_count'),
    lastOrderAt: ms('last_order_at'),
    createdAt: ms('created_at').notNull(),
    emailOptIn: boolean('email_opt_in').notNull().default(false),
    smsOptIn: boolean('sms_opt_in').notNull().default(false),
    whatsappOptIn: boolean('whatsapp_opt_in').notNull().default(false),
    attributes: jsonb('attributes').notNull().default({}),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('customers_external_id_uq').on(t.externalId).where(sql`external_id IS NOT NULL`),
    index('customers_email_idx').on(t.email),
    index('customers_phone_idx').on(t.phone),
  ],
);

export const suppressions = pgTable(
  'suppressions',
  {
    id: id(),
    channel: text('channel').notNull(),
    address: text('address').notNull(),
    reason: text('reason').notNull(),
    source: text('source'),
    note: text('note'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [uniqueIndex('suppressions_channel_address_uq').on(t.channel, t.address)],
);

export const campaigns = pgTable(
  'campaigns',
  {
    id: id(),
    name: text('name').notNull(),
    // enum-typed text, as in the SQLite schema: the SQL type stays text
    channel: text('channel', { enum: CHANNELS }).notNull(),
    segment: text('segment').notNull(),
    provider: text('provider').notNull(),
    template: text('template').notNull(),
    state: text('state', { enum: CAMPAIGN_STATES }).notNull().default('draft'),
    scheduleAt: ms('schedule_at'),
    throttle: text('throttle'),
    settings: text('settings').notNull().default('{}'),
    plan: text('plan'),
    planHash: text('plan_hash'),
    pauseReason: text('pause_reason'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ms('lease_expires_at'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    preparedAt: ms('prepared_at'),
    startedAt: ms('started_at'),
    completedAt: ms('completed_at'),
    archivedAt: ms('archived_at'),
  },
  (t) => [uniqueIndex('campaigns_name_uq').on(t.name), index('campaigns_state_schedule_idx').on(t.state, t.scheduleAt)],
);

export const campaignRecipients = pgTable(
  'campaign_recipients',
  {
    id: id(),
    campaignId: bigint('campaign_id', { mode: 'number' })
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    customerId: bigint('customer_id', { mode: 'number' }).notNull(),
    address: text('address').notNull(),
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    sender: text('sender'),
    providerMessageId: text('provider_message_id'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    nextAttemptAt: ms('next_attempt_at'),
    claimedAt: ms('claimed_at'),
    claimedBy: text('claimed_by'),
    sentAt: ms('sent_at'),
    updatedAt: ms('updated_at').notNull(),
    deliveryStatus: text('delivery_status'),
    deliveryAt: ms('delivery_at'),
    variant: text('variant'),
    run: integer('run').notNull().default(1),
  },
  (t) => [
    uniqueIndex('campaign_recipients_campaign_address_uq').on(t.campaignId, t.address),
    // the claim's order (next_attempt_at, id) read off the index, so a claim of 64 rows reads 64
    // entries: SQLite's index ends with the rowid (= id) by itself, PostgreSQL's needs it named
    // (without it every claim sorted the whole pending list: 6 s per claim on 960k recipients)
    index('campaign_recipients_claim_idx').on(t.campaignId, t.state, t.nextAttemptAt, t.id),
    index('campaign_recipients_provider_id_idx').on(t.providerMessageId),
    index('campaign_recipients_customer_idx').on(t.customerId, t.sentAt),
  ],
);

export const feedbackEvents = pgTable(
  'feedback_events',
  {
    id: id(),
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    providerMessageId: text('provider_message_id'),
    address: text('address'),
    payload: text('payload').notNull(),
    receivedAt: ms('received_at').notNull(),
  },
  (t) => [index('feedback_events_provider_id_idx').on(t.providerMessageId)],
);

export const senderUsage = pgTable(
  'sender_usage',
  {
    provider: text('provider').notNull(),
    sender: text('sender').notNull(),
    day: text('day').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [uniqueIndex('sender_usage_uq').on(t.provider, t.sender, t.day)],
);

/** People erased on request: a one-way hash of each of their addresses (see ../schema.ts). */
export const forgottenAddresses = pgTable('forgotten_addresses', {
  hash: text('hash').primaryKey(),
  createdAt: ms('created_at').notNull(),
});

/** Where an SQLite file was moved: see ../schema.ts (only SQLite files are marked; unused here). */
export const storeMoved = pgTable('store_moved', {
  id: integer('id').primaryKey(),
  host: text('host').notNull(),
  port: integer('port').notNull(),
  database: text('database').notNull(),
  movedAt: ms('moved_at').notNull(),
});

/** The worker registry: see ../schema.ts. */
export const workers = pgTable(
  'workers',
  {
    id: text('id').primaryKey(),
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    startedAt: ms('started_at').notNull(),
    heartbeatAt: ms('heartbeat_at').notNull(),
  },
  (t) => [index('workers_campaign_idx').on(t.campaignId, t.heartbeatAt)],
);

/** Rate limits shared by a campaign's workers (the next free send slot): see ../schema.ts. */
export const rateBuckets = pgTable(
  'rate_buckets',
  {
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    key: text('key').notNull(),
    nextAt: doublePrecision('next_at').notNull().default(0),
  },
  (t) => [uniqueIndex('rate_buckets_uq').on(t.campaignId, t.key)],
);

/** The engagement tables: see ../schema.ts for what each holds and why. */
export const campaignLinks = pgTable(
  'campaign_links',
  {
    id: id(),
    campaignId: bigint('campaign_id', { mode: 'number' })
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    linkId: integer('link_id').notNull(),
    url: text('url').notNull(),
    kind: text('kind').notNull(),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [uniqueIndex('campaign_links_campaign_url_uq').on(t.campaignId, t.url), uniqueIndex('campaign_links_campaign_link_uq').on(t.campaignId, t.linkId)],
);

export const engagementHourly = pgTable(
  'engagement_hourly',
  {
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    linkId: integer('link_id').notNull().default(0),
    hour: ms('hour').notNull(),
    kind: text('kind').notNull(),
    machine: integer('machine').notNull().default(0),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
    uniqueCount: bigint('unique_count', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.linkId, t.hour, t.kind, t.machine] })],
);

export const engagementEvents = pgTable(
  'engagement_events',
  {
    id: id(),
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    ledgerId: bigint('ledger_id', { mode: 'number' }).notNull(),
    customerId: bigint('customer_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    linkId: integer('link_id').notNull().default(0),
    machine: integer('machine').notNull().default(0),
    reason: text('reason'),
    userAgentClass: text('user_agent_class'),
    at: ms('at').notNull(),
    source: text('source').notNull(),
  },
  (t) => [index('engagement_events_campaign_idx').on(t.campaignId, t.kind, t.at), index('engagement_events_customer_idx').on(t.customerId, t.at)],
);

export const engagementKeys = pgTable('engagement_keys', {
  campaignId: bigint('campaign_id', { mode: 'number' }).primaryKey(),
  key: bytea('key').notNull(),
  createdAt: ms('created_at').notNull(),
});

export const engagementSeen = pgTable(
  'engagement_seen',
  {
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    linkId: integer('link_id').notNull().default(0),
    machine: integer('machine').notNull().default(0),
    digest: bytea('digest').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.kind, t.linkId, t.machine, t.digest] })],
);
