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
    for (const [id, pid] of [['host:1:a', 1], ['host:2:b', 2]] as const) await registerWorker(store!, { id, campaignId: 1, host: 'host', pid, startedAt: T0 }, T0);
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

  it('the campaign rate is one bucket for every worker: it starts empty and refills on the database clock', async () => {
    const limits = { ratePerSec: 1, senders: [{ id: 'A' }] };
    const first = await a.ledger.claim(10, T0, { pickSender: pick, limits });
    expect(first.claimed).toHaveLength(0);
    expect(first.waitMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_100));
    const [ca, cb] = await Promise.all([a.ledger.claim(10, T0, { pickSender: pick, limits }), b.ledger.claim(10, T0, { pickSender: pick, limits })]);
    // 1.1 s at 1/s is one token (the burst caps it at 1), shared: one worker gets it, not each
    expect(ca.claimed.length + cb.claimed.length).toBe(1);
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
