/**
 * Several workers on one PostgreSQL ledger: disjoint claims, a dead worker's rows (and only
 * its rows) become unknown, the registry lists the live ones, and the shared limits (rate and
 * daily caps) hold across ledgers of different workers. Skipped without a PostgreSQL server.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresLedger } from '../../../src/db/pg/ledger.js';
import { openPgStore, type PgStore } from '../../../src/db/pg/open.js';
import { registerWorker } from '../../../src/db/pg/workers.js';
import { liveWorkersOf } from '../../../src/campaigns/workers-view.js';
import { pgLedgerFixture, type LedgerFixture } from '../../support/ledger-fixture.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('workers');
const store: PgStore | undefined = pgDb ? await openPgStore(pgDb.url) : undefined;
afterAll(async () => {
  await store?.close();
  await pgDb?.drop();
});

const ADDRESSES = Array.from({ length: 10 }, (_, i) => `w${i}@workers.example`);
const T0 = Date.now();
const TTL = 30_000;
const pick = () => 'A';

describe.skipIf(!store)('PostgreSQL ledger with several workers', () => {
  let a: LedgerFixture;
  let b: LedgerFixture;
  beforeEach(async () => {
    a = await pgLedgerFixture(store!, ADDRESSES, T0, { workerId: 'host:1:a', workerTtlMs: TTL });
    // the same campaign seen by a second worker
    b = { ...a, ledger: new PostgresLedger(store!, 1, 'email', 'p', { workerId: 'host:2:b', workerTtlMs: TTL }) };
    for (const [id, pid] of [['host:1:a', 1], ['host:2:b', 2]] as const) await registerWorker(store!, { id, campaignId: 1, host: 'host', pid, startedAt: T0 }, T0, 'm');
  });

  it('claims disjoint rows at the same time, and a dead worker leaves only its own rows unknown', async () => {
    const [ca, cb] = await Promise.all([a.ledger.claim(5, T0, { pickSender: pick }), b.ledger.claim(5, T0, { pickSender: pick })]);
    const ids = [...ca.claimed, ...cb.claimed].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(10);

    // worker a stops beating; b's heartbeat is fresh
    const later = T0 + TTL + 1;
    await store!.pool.query(`UPDATE workers SET heartbeat_at = $1 WHERE id = 'host:2:b'`, [later]);
    expect(await b.ledger.recoverInFlight(later)).toBe(ca.claimed.length);
    const rows = await store!.pool.query<{ state: string; claimed_by: string }>('SELECT state, claimed_by FROM campaign_recipients ORDER BY id');
    for (const r of rows.rows) expect(r.state).toBe(r.claimed_by === 'host:1:a' ? 'unknown' : 'sending');
    expect((await liveWorkersOf({ pg: store }, 1, later)).map((w) => w.id)).toEqual(['host:2:b']);
  });

  it('the campaign rate is one schedule for every worker: consecutive slots 1/rate apart, at most 250 ms ahead', async () => {
    const limits = { ratePerSec: 20, senders: [{ id: 'A' }] };
    const dbNow = async () => (await store!.pool.query<{ t: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t')).rows[0]!.t;
    const before = await dbNow();
    const [ca, cb] = await Promise.all([a.ledger.claim(10, T0, { pickSender: pick, limits }), b.ledger.claim(10, T0, { pickSender: pick, limits })]);
    const after = await dbNow();
    const total = ca.claimed.length + cb.claimed.length;
    const { next_at } = (await store!.pool.query<{ next_at: number }>(`SELECT next_at FROM rate_buckets WHERE key = ''`)).rows[0]!;
    // every claimed row took its own 50 ms slot on one schedule, none before the first claim …
    expect(next_at - before).toBeGreaterThanOrEqual(total * 50 - 1);
    // … and no slot beyond 250 ms after the last claim: shared, not 6 slots each
    expect(total).toBeLessThanOrEqual(Math.floor((after + 250 - before) / 50) + 1);
    expect(total).toBeGreaterThan(0);
    for (const r of [...ca.claimed, ...cb.claimed]) expect(r.delayMs ?? 0).toBeLessThanOrEqual(250);
  });

  it('a daily cap counts every worker\'s claims', async () => {
    const limits = { senders: [{ id: 'A', dailyCap: 3 }] };
    expect((await a.ledger.claim(2, T0, { pickSender: pick, limits })).claimed).toHaveLength(2);
    expect((await b.ledger.claim(2, T0, { pickSender: pick, limits })).claimed).toHaveLength(1);
    const none = await a.ledger.claim(2, T0, { pickSender: pick, limits });
    expect(none).toMatchObject({ claimed: [], exhausted: true });
    expect((await b.ledger.usageToday(T0)).get('A')).toBe(3);
  });
});
