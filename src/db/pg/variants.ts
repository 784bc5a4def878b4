/**
 * A/B tests on PostgreSQL: the twin of ../variant-sql.ts (the variant contract suite gives both
 * the same ledger and expects the same assignment, metric and release).
 *
 * Several workers may send one campaign, and each asks for the decision when `wait` has passed.
 * It must happen once: `decide` runs in one transaction that first takes the campaign's row
 * `FOR UPDATE` (the lock prepare takes too), then counts the held rows. A second worker waits on
 * that lock until the first commits, then finds nothing held and decides nothing; so the metric
 * is read, the winner chosen and the held rows released exactly once, by one worker.
 */
import type pg from 'pg';
import { LEDGER_STATES, type LedgerState } from '../ledger-contract.js';
import { seenAmong } from '../engagement-plan.js';
import { HELD } from '../variant-sql.js';
import { tallyMetric, type AbProgress, type VariantMetric, type VariantMetricName, type VariantStore } from '../variant-store.js';
import { inTransaction } from './transaction.js';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Rows updated per statement when variants are written (two arrays bound, any size is 2 parameters; this bounds one statement's work). */
const BATCH = 10_000;

async function progress(q: Queryable, campaignId: number): Promise<AbProgress> {
  const r = await q.query<{ held: number; first: number | null }>(
    `SELECT (SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending' AND variant IS NULL) AS held,
            (SELECT min(sent_at) FROM campaign_recipients WHERE campaign_id = $1 AND variant IS NOT NULL AND sent_at IS NOT NULL) AS first`,
    [campaignId],
  );
  return { held: r.rows[0]!.held, testSentAt: r.rows[0]!.first };
}

/** The human seen-set of `kind` (link 0: campaign-wide) matched against the test rows, as SQLite's seenHumans does. */
async function seenHumans(q: Queryable, campaignId: number, kind: 'click' | 'open', ledgerIds: number[]): Promise<Set<number>> {
  const key = (await q.query<{ key: Buffer }>('SELECT key FROM engagement_keys WHERE campaign_id = $1', [campaignId])).rows[0]?.key;
  if (!key) return new Set();
  const seen = await q.query<{ digest: Buffer }>(`SELECT digest FROM engagement_seen WHERE campaign_id = $1 AND kind = $2 AND link_id = 0 AND machine = 0`, [campaignId, kind]);
  return seenAmong(key, seen.rows.map((r) => r.digest), ledgerIds);
}

async function metric(q: Queryable, campaignId: number, name: VariantMetricName): Promise<VariantMetric> {
  const rows = (
    await q.query<{ id: number; variant: string; delivered: boolean | null }>(
      `SELECT id, variant, delivery_status IN ('delivered', 'read') AS delivered FROM campaign_recipients
       WHERE campaign_id = $1 AND variant IS NOT NULL AND sent_at IS NOT NULL ORDER BY id`,
      [campaignId],
    )
  ).rows;
  const reached =
    name === 'delivered' ? new Set(rows.filter((r) => r.delivered === true).map((r) => r.id)) : await seenHumans(q, campaignId, name === 'clicks' ? 'click' : 'open', rows.map((r) => r.id));
  return tallyMetric(rows, reached);
}

/** The held rows get the winner and become due now. */
async function releaseHeld(q: Queryable, campaignId: number, variant: string, now: number): Promise<number> {
  const r = await q.query(`UPDATE campaign_recipients SET variant = $1, next_attempt_at = 0, updated_at = $2 WHERE campaign_id = $3 AND state = 'pending' AND variant IS NULL`, [variant, now, campaignId]);
  return r.rowCount ?? 0;
}

export function pgVariantStore(pool: pg.Pool): VariantStore {
  return {
    assign: (campaignId, pick, now) =>
      inTransaction(pool, async (client) => {
        // with prepare's lock: two prepares of one campaign never assign the same rows at once
        await client.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
        const rows = (
          await client.query<{ id: number; customer_id: number }>(
            `SELECT id, customer_id FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending' AND variant IS NULL AND next_attempt_at <> $2 ORDER BY id`,
            [campaignId, HELD],
          )
        ).rows;
        let held = 0;
        for (let i = 0; i < rows.length; i += BATCH) {
          const put = { ids: [] as number[], variants: [] as string[] };
          const hold: number[] = [];
          for (const r of rows.slice(i, i + BATCH)) {
            const v = pick(r.customer_id);
            if (v === null) hold.push(r.id);
            else {
              put.ids.push(r.id);
              put.variants.push(v);
            }
          }
          if (put.ids.length > 0) {
            await client.query(`UPDATE campaign_recipients r SET variant = u.variant, updated_at = $3 FROM unnest($1::bigint[], $2::text[]) AS u(id, variant) WHERE r.id = u.id`, [put.ids, put.variants, now]);
          }
          if (hold.length > 0) await client.query(`UPDATE campaign_recipients SET next_attempt_at = $2, updated_at = $3 WHERE id = ANY($1::bigint[])`, [hold, HELD, now]);
          held += hold.length;
        }
        return held;
      }),
    progress: (campaignId) => progress(pool, campaignId),
    metric: (campaignId, name) => metric(pool, campaignId, name),
    parts: async (campaignId) => {
      // grouped as SQLite's ledgerParts groups: by variant in byte order, the held rows (null) first
      const rows = (
        await pool.query<{ k: string | null; counts: Record<string, number>; recipients: number; first: number | null }>(
          `SELECT k, jsonb_object_agg(state, n) AS counts, sum(n)::bigint AS recipients, min(first) AS first
           FROM (SELECT variant AS k, state, count(*) AS n, min(sent_at) AS first FROM campaign_recipients WHERE campaign_id = $1 GROUP BY variant, state) s
           GROUP BY k ORDER BY k COLLATE "C" NULLS FIRST`,
          [campaignId],
        )
      ).rows;
      return rows.map((r) => ({
        key: r.k,
        recipients: r.recipients,
        counts: Object.fromEntries(LEDGER_STATES.map((s) => [s, r.counts[s] ?? 0])) as Record<LedgerState, number>,
        first_sent_at: r.first === null ? null : new Date(r.first).toISOString(),
      }));
    },
    decide: (campaignId, name, choose, now) =>
      inTransaction(pool, async (client) => {
        // the decision's lock (see the file comment): the second decider waits here, then finds nothing held
        await client.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
        if ((await progress(client, campaignId)).held === 0) return undefined;
        const decision = choose(await metric(client, campaignId, name));
        return { decision, released: await releaseHeld(client, campaignId, decision.winner, now) };
      }),
  };
}
