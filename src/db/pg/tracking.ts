/**
 * The PostgreSQL store's TrackingStore (../tracking-store.ts): the links a send records, and
 * serve's and feedback import's units of work, each one transaction on one pooled connection.
 * Engagement is counted by the plans both stores share (../engagement-plan.ts); the statements
 * are the SQLite ones (../engagement.ts, ../feedback.ts, ../serve-sql.ts) in PostgreSQL's words.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { CHANNEL_FIELDS } from '../../channels.js';
import { isConnectionError } from '../connection-errors.js';
import type { CampaignLinkRow, LinkKind, RecipientTimes } from '../engagement.js';
import { moveToMachinePlan, recordPlan, runPlanAsync, type EngagementOp } from '../engagement-plan.js';
import type { LedgerMatch } from '../feedback.js';
import type { TrackingStore, TrackingTx } from '../tracking-store.js';
import { inTransaction } from './transaction.js';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** The advisory lock (two-int key space) that makes link ids 1..n per campaign with several senders: 'mkt' and 2 + campaign. */
const LINKS_LOCK = 0x6d6b7402;

/**
 * SQLSTATE classes after which serve keeps its records and retries: insufficient resources (53:
 * disk full, too many connections), operator intervention (57: shutdown, query cancelled), a
 * serialization failure or deadlock (40), a lock not available (55P03); plus a lost connection.
 */
const REFUSED = /^(53|57|40)|^55P03$/;

/**
 * How long serve's unit of work waits for a connection, and for the answer to each statement,
 * before the store counts as refusing (its records are spooled, the request answered): a server
 * that stops answering in the middle of a transaction holds a request no longer than one that
 * is down. A lock held longer than that by another writer is treated the same way, as SQLite's
 * busy store is.
 */
const SERVE_LIMITS = { connectWithinMs: 3000, answerWithinMs: 3000 };

const linkRows = async (q: Queryable, campaignId: number, linkId?: number): Promise<CampaignLinkRow[]> =>
  (
    await q.query<CampaignLinkRow>(
      `SELECT link_id, url, kind FROM campaign_links WHERE campaign_id = $1${linkId === undefined ? '' : ' AND link_id = $2'} ORDER BY link_id`,
      linkId === undefined ? [campaignId] : [campaignId, linkId],
    )
  ).rows;

/** Adds the new destinations (ids in the order first seen), inside the caller's transaction. */
async function register(q: Queryable, campaignId: number, links: Array<{ url: string; kind: LinkKind }>, now: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (links.length === 0) return ids;
  // two senders adding links at once must not both take max + 1
  await q.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LINKS_LOCK, campaignId]);
  for (const l of links) {
    if (ids.has(l.url)) continue;
    await q.query(
      `INSERT INTO campaign_links (campaign_id, link_id, url, kind, created_at)
       SELECT $1, coalesce(max(link_id), 0) + 1, $2, $3, $4 FROM campaign_links WHERE campaign_id = $1
       ON CONFLICT (campaign_id, url) DO NOTHING`,
      [campaignId, l.url, l.kind, now],
    );
    const row = (await q.query<{ link_id: number }>('SELECT link_id FROM campaign_links WHERE campaign_id = $1 AND url = $2', [campaignId, l.url])).rows[0]!;
    ids.set(l.url, row.link_id);
  }
  return ids;
}

const MATCH = `SELECT r.id, r.campaign_id, r.customer_id, r.address, c.channel, r.state, r.delivery_status,
  (c.settings::jsonb #> '{tracking,individual}') AS individual
  FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id`;

/** The `individual` setting as SQLite's json_extract gives it: 1/0, null when the campaign has none. */
const matchRow = (r: (Omit<LedgerMatch, 'individual'> & { individual: unknown }) | undefined): LedgerMatch | undefined =>
  r && { ...r, individual: r.individual === null || r.individual === undefined ? null : r.individual === true || r.individual === 1 ? 1 : 0 };

export function pgTrackingStore(pool: pg.Pool): TrackingStore {
  // campaign seen-set keys, once read; a key created in a transaction that rolled back is forgotten
  const keys = new Map<number, Buffer>();

  const unitOfWork = (q: Queryable, created: number[]): TrackingTx => {
    const key = async (campaignId: number, at: number): Promise<Buffer> => {
      const known = keys.get(campaignId);
      if (known) return known;
      const r = await q.query('INSERT INTO engagement_keys (campaign_id, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (campaign_id) DO NOTHING', [campaignId, randomBytes(32), at]);
      if (r.rowCount === 1) created.push(campaignId);
      const k = (await q.query<{ key: Buffer }>('SELECT key FROM engagement_keys WHERE campaign_id = $1', [campaignId])).rows[0]!.key;
      keys.set(campaignId, k);
      return k;
    };
    const exec = async (o: EngagementOp): Promise<unknown> => {
      switch (o.op) {
        case 'key':
          return key(o.campaignId, o.at);
        case 'seen': {
          const s = o.row;
          const r = await q.query('INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [s.campaignId, s.kind, s.linkId, s.machine, s.digest]);
          return r.rowCount === 1;
        }
        case 'unseen': {
          const s = o.row;
          await q.query('DELETE FROM engagement_seen WHERE campaign_id = $1 AND kind = $2 AND link_id = $3 AND machine = $4 AND digest = $5', [s.campaignId, s.kind, s.linkId, s.machine, s.digest]);
          return undefined;
        }
        case 'event': {
          const e = o.row;
          const r = await q.query<{ id: number }>(
            `INSERT INTO engagement_events (campaign_id, ledger_id, customer_id, kind, link_id, machine, reason, user_agent_class, at, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
            [e.campaignId, e.ledgerId, e.customerId, e.kind, e.linkId, e.machine, e.reason, e.userAgentClass, e.at, e.source],
          );
          return r.rows[0]!.id;
        }
        case 'hourly': {
          const h = o.row;
          const at = [h.campaignId, h.linkId, h.hour, h.kind, h.machine];
          await q.query(
            `INSERT INTO engagement_hourly (campaign_id, link_id, hour, kind, machine, count, unique_count) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (campaign_id, link_id, hour, kind, machine)
             DO UPDATE SET count = engagement_hourly.count + excluded.count, unique_count = engagement_hourly.unique_count + excluded.unique_count`,
            [...at, h.count, h.unique],
          );
          if (o.dropIfEmpty) await q.query('DELETE FROM engagement_hourly WHERE campaign_id = $1 AND link_id = $2 AND hour = $3 AND kind = $4 AND machine = $5 AND count = 0 AND unique_count = 0', at);
          return undefined;
        }
        case 'remark':
          await q.query("UPDATE engagement_events SET machine = 1, reason = 'all_links' WHERE id = $1", [o.eventId]);
          return undefined;
      }
    };
    const one = async <T extends object>(text: string, values: unknown[]): Promise<T | undefined> => (await q.query<T>(text, values)).rows[0];
    return {
      engagement: {
        campaignSettings: async (id) => (await one<{ settings: string }>('SELECT settings FROM campaigns WHERE id = $1', [id]))?.settings,
        linkCount: async (id) => Number((await one<{ n: number }>('SELECT count(*) AS n FROM campaign_links WHERE campaign_id = $1', [id]))!.n),
        recipients: async (c, ids) => {
          // the ids bind as ONE array: a batch of any size is one parameter
          const r = await q.query<RecipientTimes & { id: number }>('SELECT id, customer_id, sent_at, delivery_at FROM campaign_recipients WHERE campaign_id = $1 AND id = ANY($2::bigint[])', [c, ids]);
          return new Map(r.rows.map(({ id, ...times }) => [id, times]));
        },
        registerLinks: (c, links, now) => register(q, c, links, now),
        recordBatch: (hits) => runPlanAsync(recordPlan(hits), exec),
        moveToMachine: (moves) => runPlanAsync(moveToMachinePlan(moves), exec),
      },
      feedback: {
        find: async (ref) => {
          if (ref.campaignId !== undefined && ref.recipientId !== undefined) {
            const hit = matchRow(await one(`${MATCH} WHERE r.id = $1 AND r.campaign_id = $2`, [ref.recipientId, ref.campaignId]));
            if (hit) return hit;
          }
          if (ref.providerMessageId) return matchRow(await one(`${MATCH} WHERE r.provider_message_id = $1 ORDER BY r.id DESC LIMIT 1`, [ref.providerMessageId]));
          return undefined;
        },
        seenBefore: async (source, kind, pid, payload) =>
          // two statements, so each uses the provider id index (IS NOT DISTINCT FROM would not)
          (pid === undefined
            ? await one('SELECT 1 AS x FROM feedback_events WHERE provider_message_id IS NULL AND source = $1 AND kind = $2 AND payload = $3 LIMIT 1', [source, kind, payload])
            : await one('SELECT 1 AS x FROM feedback_events WHERE provider_message_id = $1 AND source = $2 AND kind = $3 AND payload = $4 LIMIT 1', [pid, source, kind, payload])) !== undefined,
        log: async (source, kind, pid, address, payload, now) => {
          await q.query('INSERT INTO feedback_events (source, kind, provider_message_id, address, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6)', [source, kind, pid ?? null, address ?? null, payload, now]);
        },
        delivery: async (id, status, at, now) => {
          await q.query('UPDATE campaign_recipients SET delivery_status = $1, delivery_at = $2, updated_at = $3 WHERE id = $4', [status, at, now, id]);
        },
        // a delivery report is proof that an `unknown` attempt was accepted: it becomes `sent`
        provenSent: async (id, pid, at, now) =>
          (
            await q.query(
              `UPDATE campaign_recipients SET state = 'sent', provider_message_id = coalesce(provider_message_id, $2), sent_at = coalesce(sent_at, $3),
                      error_code = NULL, error_message = NULL, updated_at = $4
               WHERE id = $1 AND state IN ('unknown', 'sending')`,
              [id, pid ?? null, at, now],
            )
          ).rowCount === 1,
        suppressedFor: async (channel, address) => (await one<{ reason: string }>('SELECT reason FROM suppressions WHERE channel = $1 AND address = $2', [channel, address]))?.reason,
        suppress: async (s, now) =>
          // an address already suppressed keeps its first reason: that is when consent was lost
          (
            await q.query('INSERT INTO suppressions (channel, address, reason, source, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel, address) DO NOTHING', [
              s.channel,
              s.address,
              s.reason,
              s.source,
              s.note ?? null,
              now,
            ])
          ).rowCount === 1,
        lift: async (channel, address) => (await q.query('DELETE FROM suppressions WHERE channel = $1 AND address = $2', [channel, address])).rowCount === 1,
        unsubscribeAddress: async (s) => {
          const sent = await one<{ address: string }>('SELECT address FROM campaign_recipients WHERE campaign_id = $1 AND customer_id = $2 LIMIT 1', [s.campaignId, s.customerId]);
          if (sent?.address) return sent.address;
          const row = await one<{ address: string | null }>(`SELECT ${CHANNEL_FIELDS[s.channel].address} AS address FROM customers WHERE id = $1`, [s.customerId]);
          return row?.address ?? undefined;
        },
      },
    };
  };

  const transaction = async <T>(fn: (tx: TrackingTx) => Promise<T>): Promise<T> => {
    const created: number[] = [];
    try {
      // serve answers once this commits, or once it is spooled: a server that does not answer is spooled for
      return await inTransaction(pool, (client) => fn(unitOfWork(client, created)), SERVE_LIMITS);
    } catch (e) {
      for (const id of created) keys.delete(id);
      throw e;
    }
  };

  return {
    links: (id) => linkRows(pool, id),
    // serve's one wait before a redirect (a link not yet cached): bounded like its writes, so a hung server is a 503
    link: async (id, linkId) => (await inTransaction(pool, (client) => linkRows(client, id, linkId), SERVE_LIMITS))[0],
    registerLinks: (id, links, now) => inTransaction(pool, (client) => register(client, id, links, now)),
    transaction,
    setBusyTimeout: () => undefined,
    refused: (e) => isConnectionError(e) || (typeof (e as { code?: unknown })?.code === 'string' && REFUSED.test((e as { code: string }).code)),
  };
}
