/**
 * The customer-data repository (../customer-data-store.ts) on PostgreSQL: the twin of
 * ../customer-data.ts, the same rows in the same order, and `forget` as one transaction doing
 * the same steps in the same order (the feedback is matched through the ledger rows' message
 * ids before those rows lose the customer). Address lists bind as arrays, pairs as two arrays
 * unnested side by side.
 */
import type pg from 'pg';
import type { CustomerDataStore } from '../customer-data-store.js';
import { ERASED, personAddresses, personHashes, suppressionChannels, type EngagementEventRow, type FeedbackEventRow, type MessageRow } from '../customer-data.js';
import type { SuppressionRow } from '../suppressions.js';
import { inTransaction } from './transaction.js';

/** The pairs as two parallel text arrays: `(channel, address) IN (SELECT * FROM unnest($n::text[], $m::text[]))`. */
const pairArrays = (pairs: Array<[string, string]>): [string[], string[]] => [pairs.map((p) => p[0]), pairs.map((p) => p[1])];

export function pgCustomerDataStore(pool: pg.Pool): CustomerDataStore {
  const all = async <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> => (await pool.query<T>(text, values)).rows;
  return {
    messages: (id) =>
      all<MessageRow>(
        `SELECT r.id AS ledger_id, c.name AS campaign, c.channel, r.address, r.state, r.sender, r.provider_message_id, r.error_code,
                r.sent_at, r.delivery_status, r.delivery_at
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE r.customer_id = $1 ORDER BY r.campaign_id, r.id`,
        [id],
      ),
    engagement: (id) =>
      all<EngagementEventRow>(
        `SELECT e.ledger_id, e.kind, e.link_id, l.url, e.machine, e.reason, e.at, e.source FROM engagement_events e
         LEFT JOIN campaign_links l ON l.campaign_id = e.campaign_id AND l.link_id = e.link_id AND e.link_id <> 0
         WHERE e.customer_id = $1 ORDER BY e.at, e.id`,
        [id],
      ),
    individuallyTracked: async (id, byDefault) => {
      // settings is JSON text (as on SQLite); json_extract's true is 1 there, a boolean here
      const rows = await all<{ id: number }>(
        `SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
         WHERE r.customer_id = $1 AND (coalesce((c.settings::jsonb #> '{tracking,individual}') = 'true'::jsonb, $2)
           OR EXISTS (SELECT 1 FROM engagement_events e WHERE e.campaign_id = r.campaign_id))`,
        [id, byDefault],
      );
      return new Set(rows.map((r) => r.id));
    },
    suppressions: async (a) => {
      const pairs = suppressionChannels(a);
      if (pairs.length === 0) return [];
      return all<SuppressionRow>(
        `SELECT channel, address, reason, source, note, created_at FROM suppressions
         WHERE (channel, address) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY created_at, id`,
        pairArrays(pairs),
      );
    },
    feedback: (id, a) =>
      all<FeedbackEventRow>(
        `SELECT source, kind, provider_message_id, address, payload, received_at FROM feedback_events f
         WHERE f.address = ANY($1::text[])
            OR f.provider_message_id IN (SELECT provider_message_id FROM campaign_recipients WHERE customer_id = $2 AND provider_message_id IS NOT NULL)
         ORDER BY f.received_at, f.id`,
        [personAddresses(a), id],
      ),
    forget: (id, a, now) =>
      inTransaction(pool, async (client) => {
        const changed = async (text: string, values: unknown[]) => (await client.query(text, values)).rowCount ?? 0;
        // SQLite's IMMEDIATE transaction keeps a prepare out while a person is erased; here a
        // prepare locks its campaign row (FOR UPDATE) before it reads the customers, so taking
        // every campaign row first (in id order, so two forgets queue rather than deadlock)
        // waits for a prepare that is running (the rows it adds are then seen below and
        // anonymised) and holds off one that starts (it then sees the hash, not the customer).
        // NO KEY UPDATE: the key-share locks of inserts that reference a campaign (a send
        // registering its links) do not wait; the send path's claims lock ledger rows only.
        await client.query('SELECT id FROM campaigns ORDER BY id FOR NO KEY UPDATE');
        const hashes = personHashes(a);
        if (hashes.length) {
          await client.query('INSERT INTO forgotten_addresses (hash, created_at) SELECT h, $2 FROM unnest($1::text[]) AS h ON CONFLICT DO NOTHING', [hashes, now]);
        }
        const feedback = await changed(
          `UPDATE feedback_events SET address = NULL, payload = $3
           WHERE address = ANY($1::text[])
              OR provider_message_id IN (SELECT provider_message_id FROM campaign_recipients WHERE customer_id = $2 AND provider_message_id IS NOT NULL)`,
          [personAddresses(a), id, ERASED.payload],
        );
        const engagement = await changed('DELETE FROM engagement_events WHERE customer_id = $1', [id]);
        const skipped = await changed(
          `UPDATE campaign_recipients SET state = 'skipped', error_code = 'forgotten', error_message = $1, updated_at = $2
           WHERE customer_id = $3 AND state = 'pending'`,
          [ERASED.skipped, now, id],
        );
        // the address becomes a placeholder unique per row (the (campaign, address) index stays unique)
        const ledger = await changed(
          `UPDATE campaign_recipients SET address = 'forgotten:' || id, customer_id = 0,
                  error_message = CASE WHEN error_message IS NULL THEN NULL ELSE $1::text END, updated_at = $2
           WHERE customer_id = $3`,
          [ERASED.message, now, id],
        );
        const pairs = suppressionChannels(a);
        const suppressions = pairs.length ? await changed('DELETE FROM suppressions WHERE (channel, address) IN (SELECT * FROM unnest($1::text[], $2::text[]))', pairArrays(pairs)) : 0;
        const customers = await changed('DELETE FROM customers WHERE id = $1', [id]);
        return {
          customers,
          hashes_kept: hashes.length,
          ledger_rows_anonymised: ledger,
          pending_skipped: skipped,
          suppressions_removed: suppressions,
          feedback_events_anonymised: feedback,
          engagement_events_removed: engagement,
        };
      }),
  };
}
