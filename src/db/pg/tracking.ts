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
import { digestOf, moveToMachinePlan, recordPlan, runPlan, runPlanAsync, type EngagementHit, type EngagementOp, type EngagementResult, type EventRow, type HourlyRow, type SeenRow } from '../engagement-plan.js';
import type { LedgerMatch } from '../feedback.js';
import type { TrackingStore, TrackingTx } from '../tracking-store.js';
import { inTransaction } from './transaction.js';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** The advisory lock (two-int key space) that makes link ids 1..n per campaign with several senders: 'mkt' and 2 + campaign. */
const LINKS_LOCK = 0x6d6b7402;
/**
 * The advisory lock under which one transaction at a time writes a campaign's seen-set ('mkt'
 * and 3 + campaign): recordBatch reads the batch's seen rows once and answers the plan from that
 * read, which stays true only while no other serve or feedback import adds rows meanwhile.
 */
const SEEN_LOCK = 0x6d6b7403;

const seenKey = (r: Pick<SeenRow, 'campaignId' | 'kind' | 'linkId' | 'machine' | 'digest'>) => `${r.campaignId}.${r.kind}.${r.linkId}.${r.machine}.${r.digest.toString('hex')}`;

/** Locks the seen-sets of these campaigns for this transaction, in id order (two writers never wait on each other crosswise). */
async function lockSeen(q: Queryable, campaignIds: number[]): Promise<void> {
  const ids = [...new Set(campaignIds)].sort((a, b) => a - b);
  if (ids.length === 1) await q.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [SEEN_LOCK, ids[0]]);
  else if (ids.length > 1) await q.query('SELECT pg_advisory_xact_lock($1::int, c::int) FROM (SELECT c FROM unnest($2::bigint[]) AS c ORDER BY c) AS s', [SEEN_LOCK, ids]);
}

/**
 * The seen rows recordPlan may ask about for these hits (its own kind and link; for a click, the
 * campaign-wide click and, when human, the implied open), the ones already stored. One statement.
 */
async function storedSeen(q: Queryable, hits: EngagementHit[], keys: Map<number, Buffer>): Promise<Set<string>> {
  const asked = new Map<string, SeenRow>();
  const ask = (h: EngagementHit, kind: SeenRow['kind'], linkId: number, machine: number) => {
    const row = { campaignId: h.campaignId, kind, linkId, machine, digest: digestOf(keys.get(h.campaignId)!, h.ledgerId) };
    asked.set(seenKey(row), row);
  };
  for (const h of hits) {
    const machine = h.machine ? 1 : 0;
    ask(h, h.kind, h.linkId, machine);
    if (h.kind === 'click' && h.linkId !== 0) {
      ask(h, 'click', 0, machine);
      if (!h.machine) ask(h, 'open', 0, 0);
    }
  }
  const rows = [...asked.values()];
  const r = await q.query<{ campaign_id: number; kind: SeenRow['kind']; link_id: number; machine: number; digest: Buffer }>(
    `SELECT s.campaign_id, s.kind, s.link_id, s.machine, s.digest
     FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::bytea[]) AS w (campaign_id, kind, link_id, machine, digest)
     JOIN engagement_seen s ON (s.campaign_id, s.kind, s.link_id, s.machine, s.digest) = (w.campaign_id, w.kind, w.link_id, w.machine, w.digest)`,
    [rows.map((x) => x.campaignId), rows.map((x) => x.kind), rows.map((x) => x.linkId), rows.map((x) => x.machine), rows.map((x) => x.digest)],
  );
  return new Set(r.rows.map((x) => seenKey({ campaignId: x.campaign_id, kind: x.kind, linkId: x.link_id, machine: x.machine, digest: x.digest })));
}

/** Writes what a batch's plan decided: its new seen rows, its events (ids taken beforehand) and its hourly sums, one statement each. */
async function writeBatch(q: Queryable, seen: SeenRow[], events: Array<EventRow & { id: number }>, hourly: HourlyRow[]): Promise<void> {
  if (seen.length) {
    const r = await q.query(
      `INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::bytea[]) ON CONFLICT DO NOTHING`,
      [seen.map((x) => x.campaignId), seen.map((x) => x.kind), seen.map((x) => x.linkId), seen.map((x) => x.machine), seen.map((x) => x.digest)],
    );
    // under SEEN_LOCK nobody else adds rows: a conflict means the answers given were wrong, so the batch is retried
    if (r.rowCount !== seen.length) throw Object.assign(new Error('the seen-set changed under the batch'), { code: '40001' });
  }
  if (events.length) {
    const col = <K extends keyof EventRow | 'id'>(k: K) => events.map((e) => e[k]);
    await q.query(
      `INSERT INTO engagement_events (id, campaign_id, ledger_id, customer_id, kind, link_id, machine, reason, user_agent_class, at, source)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[], $10::bigint[], $11::text[])`,
      [col('id'), col('campaignId'), col('ledgerId'), col('customerId'), col('kind'), col('linkId'), col('machine'), col('reason'), col('userAgentClass'), col('at'), col('source')],
    );
  }
  if (hourly.length) {
    await q.query(
      `INSERT INTO engagement_hourly (campaign_id, link_id, hour, kind, machine, count, unique_count)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::int[], $6::bigint[], $7::bigint[])
       ON CONFLICT (campaign_id, link_id, hour, kind, machine)
       DO UPDATE SET count = engagement_hourly.count + excluded.count, unique_count = engagement_hourly.unique_count + excluded.unique_count`,
      [hourly.map((h) => h.campaignId), hourly.map((h) => h.linkId), hourly.map((h) => h.hour), hourly.map((h) => h.kind), hourly.map((h) => h.machine), hourly.map((h) => h.count), hourly.map((h) => h.unique)],
    );
  }
}

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
    /**
     * recordPlan in a few statements whatever the batch's size (serve's hot path: a round trip per
     * seen row made PostgreSQL count ~1,200 hits/s): the seen rows it may ask about are read at
     * once under the seen-set lock, the plan is answered from that read (a row not stored is
     * inserted: what the INSERT … ON CONFLICT DO NOTHING would have said), and what it decided is
     * written in one statement per table. The answers, counts and event ids are the row-by-row ones.
     */
    const recordBatch = async (hits: EngagementHit[]): Promise<EngagementResult[]> => {
      if (hits.length === 0) return [];
      await lockSeen(q, hits.map((h) => h.campaignId));
      const campaignKeys = new Map<number, Buffer>();
      for (const h of hits) if (!campaignKeys.has(h.campaignId)) campaignKeys.set(h.campaignId, await key(h.campaignId, h.at));
      const stored = await storedSeen(q, hits, campaignKeys);
      const wanted = hits.filter((h) => h.individual).length;
      const ids = wanted
        ? (await q.query<{ id: number }>("SELECT nextval(pg_get_serial_sequence('engagement_events', 'id')) AS id FROM generate_series(1, $1)", [wanted])).rows.map((r) => r.id).sort((a, b) => a - b)
        : [];
      const seen: SeenRow[] = [];
      const events: Array<EventRow & { id: number }> = [];
      const hourly: HourlyRow[] = [];
      const results = runPlan(recordPlan(hits), (o) => {
        switch (o.op) {
          case 'key':
            return campaignKeys.get(o.campaignId);
          case 'seen': {
            const k = seenKey(o.row);
            if (stored.has(k)) return false;
            stored.add(k);
            seen.push(o.row);
            return true;
          }
          case 'event': {
            const id = ids[events.length]!;
            events.push({ ...o.row, id });
            return id;
          }
          case 'hourly':
            hourly.push(o.row);
            return undefined;
          default:
            throw new Error(`recordPlan asked for ${o.op}`);
        }
      });
      await writeBatch(q, seen, events, hourly);
      return results;
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
        recordBatch,
        moveToMachine: async (moves) => {
          await lockSeen(q, moves.map((m) => m.campaignId));
          await runPlanAsync(moveToMachinePlan(moves), exec);
        },
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
    movedAway: async () => undefined,
    refused: (e) => isConnectionError(e) || (typeof (e as { code?: unknown })?.code === 'string' && REFUSED.test((e as { code: string }).code)),
  };
}
