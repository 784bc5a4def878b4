/**
 * The store's schema. Times are integer milliseconds since the epoch (UTC) so that
 * comparisons and ranges are plain integer SQL; booleans are 0/1.
 * Changing this file means running `npm run db:generate` and committing the new migration.
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { CHANNELS } from '../channels.js';
import { CAMPAIGN_STATES } from './campaign-states.js';

export const customers = sqliteTable(
  'customers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    externalId: text('external_id'),
    email: text('email'),
    phone: text('phone'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    country: text('country'),
    timezone: text('timezone'),
    locale: text('locale'),
    lifetimeValue: real('lifetime_value'),
    orderCount: integer('order_count'),
    lastOrderAt: integer('last_order_at'),
    createdAt: integer('created_at').notNull(),
    emailOptIn: integer('email_opt_in').notNull().default(0),
    smsOptIn: integer('sms_opt_in').notNull().default(0),
    whatsappOptIn: integer('whatsapp_opt_in').notNull().default(0),
    attributes: text('attributes').notNull().default('{}'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('customers_external_id_uq').on(t.externalId).where(sql`external_id IS NOT NULL`),
    index('customers_email_idx').on(t.email),
    index('customers_phone_idx').on(t.phone),
  ],
);

/** Addresses that must never be sent to on a channel. `address` is in normalised form. */
export const suppressions = sqliteTable(
  'suppressions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    channel: text('channel').notNull(), // email | sms | whatsapp
    address: text('address').notNull(),
    reason: text('reason').notNull(), // unsubscribed | bounced | complained | stop_keyword | manual
    source: text('source'), // where it came from: cli, import, serve, feedback, provider code …
    note: text('note'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('suppressions_channel_address_uq').on(t.channel, t.address)],
);

export const campaigns = sqliteTable(
  'campaigns',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    // enum columns are TEXT in SQLite (no migration); drizzle types them, the code checks on write
    channel: text('channel', { enum: CHANNELS }).notNull(),
    segment: text('segment').notNull(),
    provider: text('provider').notNull(),
    template: text('template').notNull(),
    state: text('state', { enum: CAMPAIGN_STATES }).notNull().default('draft'),
    scheduleAt: integer('schedule_at'),
    throttle: text('throttle'),
    settings: text('settings').notNull().default('{}'), // JSON: further per-campaign options
    plan: text('plan'), // JSON of the last prepare's plan
    planHash: text('plan_hash'),
    pauseReason: text('pause_reason'),
    // One sender process at a time: the lease holder and when its lease runs out.
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: integer('lease_expires_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    preparedAt: integer('prepared_at'),
    startedAt: integer('started_at'),
    completedAt: integer('completed_at'),
    // `campaign archive`: hidden from `campaign list` (a campaign that sent is never deleted)
    archivedAt: integer('archived_at'),
  },
  (t) => [uniqueIndex('campaigns_name_uq').on(t.name), index('campaigns_state_schedule_idx').on(t.state, t.scheduleAt)],
);

/**
 * The send ledger: one row per recipient of a campaign, the single source of truth about
 * who was sent what. States: pending → sending → sent | failed | unknown | pending (retry);
 * pending → skipped. `sending` is committed before the provider is called.
 */
export const campaignRecipients = sqliteTable(
  'campaign_recipients',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    customerId: integer('customer_id').notNull(),
    address: text('address').notNull(), // normalised address for the campaign's channel
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    sender: text('sender'),
    providerMessageId: text('provider_message_id'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    nextAttemptAt: integer('next_attempt_at'), // pending rows wait until this time (retry, quiet hours)
    claimedAt: integer('claimed_at'),
    // the worker that claimed the row (PostgreSQL, several workers): its rows become `unknown`
    // when its heartbeat expires. NULL for a SQLite send, whose one sender holds the lease.
    claimedBy: text('claimed_by'),
    sentAt: integer('sent_at'),
    updatedAt: integer('updated_at').notNull(),
    // Delivery feedback after the send: delivered | bounced | complained | read | failed …
    deliveryStatus: text('delivery_status'),
    deliveryAt: integer('delivery_at'),
    // A/B tests: the variant this row is sent (a, b …); null for a row held back until the winner is chosen
    variant: text('variant'),
    // Recurring campaigns: which run (1, 2, …) appended this row; 1 for a one-off campaign
    run: integer('run').notNull().default(1),
  },
  (t) => [
    uniqueIndex('campaign_recipients_campaign_address_uq').on(t.campaignId, t.address),
    index('campaign_recipients_claim_idx').on(t.campaignId, t.state, t.nextAttemptAt),
    index('campaign_recipients_provider_id_idx').on(t.providerMessageId),
    index('campaign_recipients_customer_idx').on(t.customerId, t.sentAt),
  ],
);

/** Raw provider feedback (bounces, complaints, status callbacks, inbound keywords), kept for audit. */
export const feedbackEvents = sqliteTable(
  'feedback_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    source: text('source').notNull(), // ses | twilio | meta | import
    kind: text('kind').notNull(), // delivery | bounce | complaint | status | inbound …
    providerMessageId: text('provider_message_id'),
    address: text('address'),
    payload: text('payload').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('feedback_events_provider_id_idx').on(t.providerMessageId)],
);

/** Per-sender daily counts, so that daily caps survive restarts. */
export const senderUsage = sqliteTable(
  'sender_usage',
  {
    provider: text('provider').notNull(),
    sender: text('sender').notNull(),
    day: text('day').notNull(), // UTC date YYYY-MM-DD
    count: integer('count').notNull().default(0),
  },
  (t) => [uniqueIndex('sender_usage_uq').on(t.provider, t.sender, t.day)],
);

/**
 * People erased on request (`customers forget`): only a one-way hash of each address they had
 * (`sha256("email:" || address)`, `"phone:"` for a number, src/util/address-hash.ts), so that
 * prepare and import can keep them out without mkt holding the address itself.
 */
export const forgottenAddresses = sqliteTable('forgotten_addresses', {
  hash: text('hash').primaryKey(),
  createdAt: integer('created_at').notNull(),
});

/**
 * Where this SQLite file was moved (`mkt db copy FILE postgres://…`): one row (id 1) while the
 * file is not the live store, holding the target's location (host, port, database: never a
 * user or password) and when. Commands that would write to or send from the file refuse while
 * it is there (src/db/store-moved.ts); a copy back down into the file removes it. The table
 * exists in PostgreSQL too (one schema for both stores), where nothing writes it.
 */
export const storeMoved = sqliteTable('store_moved', {
  id: integer('id').primaryKey(),
  host: text('host').notNull(),
  port: integer('port').notNull(),
  database: text('database').notNull(),
  movedAt: integer('moved_at').notNull(),
});

/**
 * The worker registry (PostgreSQL, where several `campaign send` processes drain one campaign):
 * one row per live worker, its heartbeat renewed every few seconds. A worker whose heartbeat is
 * older than the expiry is dead: its `sending` rows become `unknown`. The table exists in
 * SQLite too (one schema for both stores), where the single-holder lease on campaigns is used.
 */
export const workers = sqliteTable(
  'workers',
  {
    id: text('id').primaryKey(),
    campaignId: integer('campaign_id').notNull(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    startedAt: integer('started_at').notNull(),
    heartbeatAt: integer('heartbeat_at').notNull(),
  },
  (t) => [index('workers_campaign_idx').on(t.campaignId, t.heartbeatAt)],
);

/**
 * Rate limits shared by every worker of a campaign (PostgreSQL): the campaign's rate (key `''`)
 * and each sender's (`sender:<id>`), as the next free send slot (`next_at`, epoch ms on the
 * database's clock, fractional). Each claim locks them, hands its rows consecutive slots
 * 1/rate apart, and moves `next_at` on, in the claim's own transaction.
 */
export const rateBuckets = sqliteTable(
  'rate_buckets',
  {
    campaignId: integer('campaign_id').notNull(),
    key: text('key').notNull(),
    nextAt: real('next_at').notNull().default(0),
  },
  (t) => [uniqueIndex('rate_buckets_uq').on(t.campaignId, t.key)],
);

/**
 * Engagement (tracked clicks, opens, deliveries, reads): the links each campaign sent, hourly
 * counts kept in every privacy mode, per-recipient events kept only with `tracking.individual`,
 * and the seen-set that makes unique counts possible without a recipient id (src/db/engagement.ts).
 */

/**
 * The destinations a campaign actually sent (UTM added), numbered 1..n per campaign: a click
 * token names a link id, never a URL, so it can only lead to one of these (no open redirect).
 * SMS short codes are a signed compact encoding of (campaign, ledger row, link id), so they
 * need no column here.
 */
export const campaignLinks = sqliteTable(
  'campaign_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    linkId: integer('link_id').notNull(),
    url: text('url').notNull(),
    kind: text('kind').notNull(), // link | sms | button
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('campaign_links_campaign_url_uq').on(t.campaignId, t.url), uniqueIndex('campaign_links_campaign_link_uq').on(t.campaignId, t.linkId)],
);

/**
 * Counts per campaign, link, hour, kind and human/machine, written in every privacy mode.
 * link_id 0 is the campaign as a whole: opens, deliveries, reads and unsubscribes only have that
 * row; a click adds to its link's row AND to the link-0 row, whose unique_count is then the
 * recipients who clicked any link (not the sum of the per-link uniques).
 */
export const engagementHourly = sqliteTable(
  'engagement_hourly',
  {
    campaignId: integer('campaign_id').notNull(),
    linkId: integer('link_id').notNull().default(0),
    hour: integer('hour').notNull(), // epoch ms at the start of the UTC hour
    kind: text('kind').notNull(), // click | open | delivered | read | unsubscribe
    machine: integer('machine').notNull().default(0), // 0/1
    count: integer('count').notNull().default(0),
    uniqueCount: integer('unique_count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.linkId, t.hour, t.kind, t.machine] })],
);

/** Per-recipient engagement, written only when the campaign's tracking is `individual: true`. */
export const engagementEvents = sqliteTable(
  'engagement_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id').notNull(),
    ledgerId: integer('ledger_id').notNull(),
    customerId: integer('customer_id').notNull(),
    kind: text('kind').notNull(), // click | open | delivered | read | unsubscribe
    linkId: integer('link_id').notNull().default(0),
    machine: integer('machine').notNull().default(0),
    reason: text('reason'), // why it was classed machine: head | scanner_ua | after_delivery | all_links | mail_proxy
    userAgentClass: text('user_agent_class'),
    at: integer('at').notNull(),
    source: text('source').notNull(), // serve | ses | twilio | meta
  },
  (t) => [index('engagement_events_campaign_idx').on(t.campaignId, t.kind, t.at), index('engagement_events_customer_idx').on(t.customerId, t.at)],
);

/**
 * A random key per campaign for the seen-set below: HMAC(key, ledger id) names a recipient for
 * "first time?" without holding a customer id. Deleting a campaign's key makes its seen-set
 * unlinkable to anyone (the counts stay).
 */
export const engagementKeys = sqliteTable('engagement_keys', {
  campaignId: integer('campaign_id').primaryKey(),
  key: blob('key', { mode: 'buffer' }).notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * Who has already clicked / opened, per campaign, kind, link (0 = any) and human/machine, as a
 * keyed hash of the ledger id: no customer id, no address, no time.
 */
export const engagementSeen = sqliteTable(
  'engagement_seen',
  {
    campaignId: integer('campaign_id').notNull(),
    kind: text('kind').notNull(),
    linkId: integer('link_id').notNull().default(0),
    machine: integer('machine').notNull().default(0),
    digest: blob('digest', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.kind, t.linkId, t.machine, t.digest] })],
);
