/**
 * The SQL of one person's data (`customers history`, `export`, `forget`): what mkt holds about
 * a customer across the store — the customer row, the ledger rows of every campaign that
 * messaged them, their suppressions, the provider feedback about those messages, and the
 * per-recipient engagement that `tracking.individual: true` kept — and the one transaction that
 * erases it. Set-based: one statement per table, whatever the number of campaigns.
 */
import type { Store } from './open.js';
import type { SuppressionRow } from './suppressions.js';
import { addressHash, type AddressKind } from '../util/address-hash.js';

/** One message a customer was sent (or was to be sent), with its delivery outcome. */
export interface MessageRow {
  ledger_id: number;
  campaign: string;
  channel: string;
  address: string;
  state: string;
  sender: string | null;
  provider_message_id: string | null;
  error_code: string | null;
  sent_at: number | null;
  delivery_status: string | null;
  delivery_at: number | null;
}

/** A per-recipient engagement event (stored only with `individual: true`). */
export interface EngagementEventRow {
  ledger_id: number;
  kind: string;
  link_id: number;
  url: string | null;
  machine: number;
  reason: string | null;
  at: number;
  source: string;
}

export interface FeedbackEventRow {
  source: string;
  kind: string;
  provider_message_id: string | null;
  address: string | null;
  payload: string;
  received_at: number;
}

/** The addresses a customer row holds, as the store keys them. */
export interface PersonAddresses {
  email: string | null;
  phone: string | null;
}

/** The (channel, address) pairs a person can be suppressed under (both stores' forget and history). */
export const suppressionChannels = (a: PersonAddresses): Array<[channel: string, address: string]> => [
  ...(a.email ? [['email', a.email] as [string, string]] : []),
  ...(a.phone ? [['sms', a.phone] as [string, string], ['whatsapp', a.phone] as [string, string]] : []),
];

/** Every ledger row of this customer, oldest campaign first. */
export function messagesOf(store: Store, customerId: number): MessageRow[] {
  return store.sqlite
    .prepare(
      `SELECT r.id AS ledger_id, c.name AS campaign, c.channel, r.address, r.state, r.sender, r.provider_message_id, r.error_code,
              r.sent_at, r.delivery_status, r.delivery_at
       FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE r.customer_id = ? ORDER BY r.campaign_id, r.id`,
    )
    .all(customerId) as MessageRow[];
}

/** The engagement events kept for this customer (none unless a campaign tracked individually). */
export function engagementOf(store: Store, customerId: number): EngagementEventRow[] {
  return store.sqlite
    .prepare(
      `SELECT e.ledger_id, e.kind, e.link_id, l.url, e.machine, e.reason, e.at, e.source FROM engagement_events e
       LEFT JOIN campaign_links l ON l.campaign_id = e.campaign_id AND l.link_id = e.link_id AND e.link_id <> 0
       WHERE e.customer_id = ? ORDER BY e.at, e.id`,
    )
    .all(customerId) as EngagementEventRow[];
}

/**
 * This customer's ledger rows in campaigns that track individually (their own setting, else
 * `byDefault`, mkt.yaml's): only those can have engagement detail. A campaign that stored any
 * per-recipient event did so because it tracked individually (the setting may have changed since).
 */
export function individuallyTracked(store: Store, customerId: number, byDefault: boolean): Set<number> {
  const rows = store.sqlite
    .prepare(
      `SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
       WHERE r.customer_id = ? AND (coalesce(json_extract(c.settings, '$.tracking.individual'), ?) = 1
         OR EXISTS (SELECT 1 FROM engagement_events e WHERE e.campaign_id = r.campaign_id))`,
    )
    .all(customerId, byDefault ? 1 : 0) as Array<{ id: number }>;
  return new Set(rows.map((r) => r.id));
}

/** The suppressions of this person's addresses (any channel they can be reached on). */
export function suppressionsOf(store: Store, a: PersonAddresses): SuppressionRow[] {
  const pairs = suppressionChannels(a);
  if (pairs.length === 0) return [];
  return store.sqlite
    .prepare(
      `SELECT channel, address, reason, source, note, created_at FROM suppressions
       WHERE (channel, address) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)) ORDER BY created_at, id`,
    )
    .all(JSON.stringify(pairs)) as SuppressionRow[];
}

/** Provider feedback about this person: by their address, or by a message mkt sent them. */
export function feedbackOf(store: Store, customerId: number, a: PersonAddresses): FeedbackEventRow[] {
  return store.sqlite
    .prepare(
      `SELECT source, kind, provider_message_id, address, payload, received_at FROM feedback_events f
       WHERE f.address IN (SELECT value FROM json_each(?))
          OR f.provider_message_id IN (SELECT provider_message_id FROM campaign_recipients WHERE customer_id = ? AND provider_message_id IS NOT NULL)
       ORDER BY f.received_at, f.id`,
    )
    .all(JSON.stringify(personAddresses(a)), customerId) as FeedbackEventRow[];
}

/** Whether an address was erased on request: import refuses it, prepare excludes it. */
export class ForgottenAddresses {
  private readonly hashes: Set<string>;
  constructor(store: Store) {
    // the list of erased people is small next to the customers table: held in memory for an import
    const rows = store.sqlite.prepare('SELECT hash FROM forgotten_addresses').all() as Array<{ hash: string }>;
    this.hashes = new Set(rows.map((r) => r.hash));
  }
  has(kind: AddressKind, address: string | undefined | null): boolean {
    return this.hashes.size > 0 && typeof address === 'string' && this.hashes.has(addressHash(kind, address));
  }
}

/** Remembers one erased address's hash (`forgetPerson`, the repositories); true when it was new. */
export function keepForgottenHash(store: Store, hash: string, now: number): boolean {
  return store.sqlite.prepare('INSERT INTO forgotten_addresses (hash, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(hash, now).changes === 1;
}

export interface ForgetCounts {
  customers: number;
  hashes_kept: number;
  ledger_rows_anonymised: number;
  pending_skipped: number;
  suppressions_removed: number;
  feedback_events_anonymised: number;
  engagement_events_removed: number;
}

/** The one-way hashes of a person's addresses, kept when they are forgotten. */
export const personHashes = (a: PersonAddresses): string[] => [...(a.email ? [addressHash('email', a.email)] : []), ...(a.phone ? [addressHash('phone', a.phone)] : [])];

/** A person's addresses as feedback events name them. */
export const personAddresses = (a: PersonAddresses): string[] => [a.email, a.phone].filter((x): x is string => Boolean(x));

/** What forget writes in place of what named the person (both stores). */
export const ERASED = { payload: '{"erased":true}', skipped: 'the person was erased on request', message: 'erased' } as const;

/**
 * Erases one person in one IMMEDIATE transaction, whatever the tracking mode: their addresses'
 * hashes are kept (so they are never messaged again), their ledger rows lose the address and
 * every free-text field (the row and its counts stay, so campaign figures do not change), a
 * pending row is skipped, the feedback payloads that name them are blanked, per-recipient
 * engagement is deleted, their suppressions go (the hash now does that job), and the customer
 * row is deleted. Aggregate counts (engagement_hourly) hold no person and stay.
 */
export function forgetPerson(store: Store, customerId: number, a: PersonAddresses, now: number): ForgetCounts {
  const { sqlite } = store;
  const run = sqlite.transaction((): ForgetCounts => {
    const hashes = personHashes(a);
    for (const h of hashes) keepForgottenHash(store, h, now);
    const addresses = JSON.stringify(personAddresses(a));
    const feedback = sqlite
      .prepare(
        `UPDATE feedback_events SET address = NULL, payload = @payload
         WHERE address IN (SELECT value FROM json_each(@addresses))
            OR provider_message_id IN (SELECT provider_message_id FROM campaign_recipients WHERE customer_id = @id AND provider_message_id IS NOT NULL)`,
      )
      .run({ addresses, id: customerId, payload: ERASED.payload }).changes;
    const engagement = sqlite.prepare('DELETE FROM engagement_events WHERE customer_id = ?').run(customerId).changes;
    const skipped = sqlite
      .prepare(
        `UPDATE campaign_recipients SET state = 'skipped', error_code = 'forgotten', error_message = ?, updated_at = ?
         WHERE customer_id = ? AND state = 'pending'`,
      )
      .run(ERASED.skipped, now, customerId).changes;
    // the address becomes a placeholder unique per row (the (campaign, address) index stays unique)
    const ledger = sqlite
      .prepare(
        `UPDATE campaign_recipients SET address = 'forgotten:' || id, customer_id = 0,
                error_message = CASE WHEN error_message IS NULL THEN NULL ELSE ? END, updated_at = ?
         WHERE customer_id = ?`,
      )
      .run(ERASED.message, now, customerId).changes;
    const pairs = suppressionChannels(a);
    const suppressions = pairs.length
      ? sqlite
          .prepare(`DELETE FROM suppressions WHERE (channel, address) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`)
          .run(JSON.stringify(pairs)).changes
      : 0;
    const customers = sqlite.prepare('DELETE FROM customers WHERE id = ?').run(customerId).changes;
    return {
      customers,
      hashes_kept: hashes.length,
      ledger_rows_anonymised: ledger,
      pending_skipped: skipped,
      suppressions_removed: suppressions,
      feedback_events_anonymised: feedback,
      engagement_events_removed: engagement,
    };
  });
  return run.immediate();
}
