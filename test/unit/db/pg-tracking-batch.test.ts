/**
 * serve's batches of hits on PostgreSQL cost a few statements whatever their size (a round trip
 * per seen row held the store to ~1,200-1,900 hits/s: BENCHMARKS.md "redirect"), and stay exact
 * with two writers at once (the seen-set lock): what the tracking contract suite holds equal to
 * SQLite hit by hit, here at the sizes serve writes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engagementApplier, type EngagementRecordHit } from '../../../src/compliance/serve-track.js';
import { openPgStore, type PgStore } from '../../../src/db/pg/open.js';
import { pgTrackingStore } from '../../../src/db/pg/tracking.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('tracking_batch');
const PEOPLE = 500;
const T = 10 * 3_600_000;
const tracking = { baseUrl: 'https://t.example', clicks: true, opens: false, individual: true, utm: {}, botClickWindowMs: 1000 };
const click = (r: number, l: number, at: number): EngagementRecordHit => ({ c: 1, r, l, k: 'click', head: false, ua: 'browser', at });

describe.skipIf(!pgDb)('serve hit batches on PostgreSQL', () => {
  let store: PgStore;
  beforeAll(async () => {
    store = await openPgStore(pgDb!.url);
    const q = (sql: string, values: unknown[] = []) => store.pool.query(sql, values);
    await q(`INSERT INTO campaigns (id, name, channel, segment, provider, template, settings, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', '{}', 0, 0)`);
    await q(`INSERT INTO customers (id, email, created_at, updated_at) SELECT i, 'p' || i || '@x.example', 0, 0 FROM generate_series(1, $1) AS i`, [PEOPLE]);
    await q(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, updated_at) SELECT i, 1, i, 'p' || i || '@x.example', 'sent', 0, 0 FROM generate_series(1, $1) AS i`, [PEOPLE]);
    await pgTrackingStore(store.pool).registerLinks(1, [1, 2, 3].map((n) => ({ url: `https://shop.example/${n}`, kind: 'link' as const })), 0);
  });
  afterAll(async () => {
    await store?.close();
    await pgDb?.drop();
  });

  it('a batch of 1,000 hits (events kept) is a handful of statements, and counts every hit', async () => {
    // the store over a pool whose clients count what they are asked
    const pool = new pg.Pool({ connectionString: pgDb!.url, max: 2 });
    let statements = 0;
    pool.on('acquire', (client: pg.PoolClient & { counted?: boolean }) => {
      if (client.counted) return;
      client.counted = true;
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => (statements++, query(...a));
    });
    try {
      const t = pgTrackingStore(pool);
      const applier = engagementApplier(tracking);
      // every person clicks link 1, then half of them link 2: 750 first clicks, 250 repeats of link 1
      const hits = [...Array.from({ length: PEOPLE }, (_, i) => click(i + 1, 1, T + i)), ...Array.from({ length: PEOPLE / 2 }, (_, i) => click(i + 1, 2, T + 5000 + i)), ...Array.from({ length: PEOPLE / 2 }, (_, i) => click(i + 1, 1, T + 9000 + i))];
      expect(await t.transaction((tx) => applier(tx.engagement, hits))).toBe('tracking: 1000 hit(s) recorded, 0 machine');
      // BEGIN, settings, link count, recipients, key (2), lock, seen read, event ids, 3 writes, COMMIT; row by row it was ~3,000
      expect(statements).toBeLessThanOrEqual(16);
    } finally {
      await pool.end();
    }
    const hourly = await store.pool.query('SELECT link_id, kind, machine, count, unique_count FROM engagement_hourly ORDER BY kind, link_id');
    expect(hourly.rows).toEqual([
      { link_id: 0, kind: 'click', machine: 0, count: 1000, unique_count: PEOPLE },
      { link_id: 1, kind: 'click', machine: 0, count: 750, unique_count: PEOPLE },
      { link_id: 2, kind: 'click', machine: 0, count: 250, unique_count: PEOPLE / 2 },
      { link_id: 0, kind: 'open', machine: 0, count: 0, unique_count: PEOPLE },
    ]);
    const events = await store.pool.query<{ n: number; ordered: boolean }>('SELECT count(*) AS n, bool_and(at_order) AS ordered FROM (SELECT at >= lag(at, 1, 0::bigint) OVER (ORDER BY id) AS at_order FROM engagement_events) e');
    expect(events.rows[0]).toEqual({ n: 1000, ordered: true });
  });

  it('two servers recording the same first clicks at once count each person once', async () => {
    await store.pool.query('DELETE FROM engagement_hourly; DELETE FROM engagement_seen; DELETE FROM engagement_events');
    const batch = Array.from({ length: PEOPLE }, (_, i) => click(i + 1, 3, T + 60_000 + i));
    await Promise.all([0, 1].map(() => {
      const t = pgTrackingStore(store.pool);
      const applier = engagementApplier(tracking);
      return t.transaction((tx) => applier(tx.engagement, batch));
    }));
    const hourly = await store.pool.query("SELECT count, unique_count FROM engagement_hourly WHERE kind = 'click' AND link_id = 3");
    expect(hourly.rows).toEqual([{ count: 2 * PEOPLE, unique_count: PEOPLE }]);
  });
});
