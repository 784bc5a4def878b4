/**
 * The flow contract: send_at_local due times, recurring runs, `campaign test`'s customer and the
 * claim-time rules (quiet hours, frequency caps) give the same answers on both stores (the
 * two-store pattern of ./store-contract.test.ts). On PostgreSQL, a frequency cap also holds
 * between workers claiming two campaigns for one customer at the same moment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { localDueOf } from '../../../src/campaigns/send-at-local.js';
import { claimRules } from '../../../src/compliance/claim-check.js';
import { loadSettings } from '../../../src/compliance/config.js';
import type { Channel } from '../../../src/channels.js';
import { WRITE_COLUMNS, type CustomerValues } from '../../../src/db/customers-writer.js';
import type { Filter } from '../../../src/db/filter.js';
import { SqliteLedger, type ClaimCheck, type Ledger } from '../../../src/db/ledger.js';
import { lockedRecentCounts } from '../../../src/db/pg/claim-caps.js';
import { PostgresLedger } from '../../../src/db/pg/ledger.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { contractStores, type ContractStore } from '../../support/contract-stores.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('flow_contract');
afterAll(async () => {
  await pgDb?.drop();
});

/** One store seen three ways: its repositories, a ledger per campaign, and raw SQL (`?` placeholders) to read rows back. */
interface Opened extends ContractStore {
  ledger(campaign: { id: number; channel: Channel }, workerId?: string): Ledger;
}

const STORES: Array<{ name: string; available: boolean; open(): Promise<Opened> }> = contractStores(pgDb).map((kind) => ({
  ...kind,
  open: async () => {
    const o = await kind.open();
    const ledger: Opened['ledger'] = (c, workerId) => (o.pg ? new PostgresLedger(o.pg, c.id, c.channel, 'p', workerId ? { workerId } : {}) : new SqliteLedger(o.sqlite!.sqlite, c.id, c.channel, 'p'));
    return { ...o, ledger };
  },
}));

const T0 = Date.UTC(2026, 2, 28, 12); // 2026-03-28T12:00Z: Europe's clocks go forward the next night
const DAY = 86_400_000;

function values(c: Record<string, unknown>): CustomerValues {
  const row: Record<string, unknown> = { created_at: T0, updated_at: T0, email_opt_in: 0, sms_opt_in: 1, whatsapp_opt_in: 0, ...c };
  return WRITE_COLUMNS.map((col) => (col === 'attributes' ? '{}' : (row[col] ?? null)));
}

async function filterOf(where: unknown): Promise<Filter> {
  const resolved = await new SegmentLibrary(memorySource({ s: stringify({ where }) })).resolve('s');
  return resolved!.filter!;
}

describe.each(STORES)('flow contract: $name', ({ available, open }) => {
  let s: Opened;
  let n = 0;
  beforeAll(async () => {
    if (available) s = await open();
  });
  afterAll(async () => {
    await s?.repos.close();
  });
  beforeEach(async () => {
    if (available) await s.repos.customers.insert([], { replace: true });
  });

  const campaign = async (settings: Record<string, unknown> = {}, scheduleAt: number | null = null) =>
    s.repos.campaigns.create({ name: `flow-${++n}`, channel: 'sms', segment: 's', provider: 'p', template: 't', scheduleAt, settings }, T0);
  const prepare = async (id: number, opts: { refresh?: boolean; run?: number; nextRun?: { preparedAt: number | null }; now?: number; localDue?: ReturnType<typeof localDueOf> } = {}) =>
    s.repos.audience.prepare({
      campaignId: id,
      channel: 'sms',
      filter: await filterOf({ all: [] }),
      now: opts.now ?? T0,
      exclusions: [],
      refresh: opts.refresh ?? false,
      ...(opts.run ? { run: opts.run } : {}),
      ...(opts.nextRun ? { nextRun: opts.nextRun } : {}),
      ...(opts.localDue ? { localDue: opts.localDue } : {}),
    });
  const dueTimes = async (id: number) =>
    Object.fromEntries(
      (await s.sql<{ ext: string; due: number }>('SELECT c.external_id AS ext, r.next_attempt_at AS due FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id WHERE r.campaign_id = ?', id)).map((r) => [
        r.ext,
        new Date(Number(r.due)).toISOString(),
      ]),
    );

  describe.skipIf(!available)('send_at_local', () => {
    it("prepare gives each row 09:00 on its customer's clock (timezone, else country, else the default), in its own transaction; a refresh times only the newcomers", async () => {
      await s.repos.customers.insert([
        values({ external_id: 'ber', phone: '+4915010000000', country: 'DE', timezone: 'Europe/Berlin' }),
        values({ external_id: 'nyc', phone: '+12125550001', country: 'US' }),
        values({ external_id: 'tyo', phone: '+819012345678', timezone: 'Asia/Tokyo' }),
        values({ external_id: 'def', phone: '+447911123456' }),
        values({ external_id: 'def2', phone: '+447911123457' }),
      ]);
      const c = await campaign({ send_at_local: '09:00' }, Date.UTC(2026, 2, 28));
      expect(await prepare(c.id, { localDue: localDueOf(c, T0, 'Asia/Kolkata') })).toMatchObject({ added: 5 });
      const first = {
        ber: '2026-03-29T07:00:00.000Z', // CEST, after the change
        nyc: '2026-03-28T13:00:00.000Z', // EDT
        tyo: '2026-03-29T00:00:00.000Z',
        def: '2026-03-29T03:30:00.000Z', // mkt.yaml's default zone
        def2: '2026-03-29T03:30:00.000Z',
      };
      expect(await dueTimes(c.id)).toEqual(first);

      // a newcomer a day later gets its own next 09:00; the earlier rows keep theirs
      await s.repos.customers.insert([values({ external_id: 'new', phone: '+4915010000001', country: 'DE' })]);
      expect(await prepare(c.id, { refresh: true, now: T0 + DAY, localDue: localDueOf(c, T0 + DAY, 'Asia/Kolkata') })).toMatchObject({ added: 1 });
      expect(await dueTimes(c.id)).toEqual({ ...first, new: '2026-03-30T07:00:00.000Z' });
    });

    it('claims only the rows whose due time has come', async () => {
      await s.repos.customers.insert([values({ external_id: 'nyc', phone: '+12125550001', country: 'US' }), values({ external_id: 'ber', phone: '+4915010000000', country: 'DE' })]);
      const c = await campaign({ send_at_local: '09:00' }, Date.UTC(2026, 2, 28));
      await prepare(c.id, { localDue: localDueOf(c, T0, undefined) });
      const ledger = s.ledger(c);
      const at = (iso: string) => Date.parse(iso);
      expect((await ledger.claim(10, at('2026-03-28T12:59:59Z'), { pickSender: () => 'A' })).claimed).toEqual([]);
      expect((await ledger.claim(10, at('2026-03-28T13:00:00Z'), { pickSender: () => 'A' })).claimed.map((r) => r.address)).toEqual(['+12125550001']);
      expect(await ledger.waiting(at('2026-03-28T13:00:00Z'))).toEqual({ count: 1, next: at('2026-03-29T07:00:00Z') });
    });
  });

  describe.skipIf(!available)('recurring runs', () => {
    it('numbers the runs and counts each one', async () => {
      await s.repos.customers.insert([values({ external_id: 'a', phone: '+4915010000000' }), values({ external_id: 'b', phone: '+4915010000001' })]);
      const c = await campaign({ recurring: { every: '1d' } });
      await prepare(c.id, { run: 1 });
      await s.repos.campaigns.update(c.id, { preparedAt: T0 }, T0);
      // run 1 is sent; a newcomer joins as run 2, numbered by the prepare itself
      const ledger = s.ledger(c);
      const claimed = (await ledger.claim(10, T0, { pickSender: () => 'A' })).claimed;
      await ledger.record(claimed.map((r) => ({ id: r.id, state: 'sent' as const, providerMessageId: `m${r.id}` })), T0 + 1000);
      await s.repos.customers.insert([values({ external_id: 'c', phone: '+4915010000002' })]);
      expect(await prepare(c.id, { refresh: true, nextRun: { preparedAt: T0 }, now: T0 + DAY })).toMatchObject({ added: 1 });
      expect((await s.repos.campaigns.get(c.name))?.preparedAt).toBe(T0 + DAY);
      const zero = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: 0 };
      expect(await s.repos.flow.parts(c.id, 'run')).toEqual([
        { key: 1, recipients: 2, counts: { ...zero, sent: 2 }, first_sent_at: new Date(T0 + 1000).toISOString() },
        { key: 2, recipients: 1, counts: { ...zero, pending: 1 }, first_sent_at: null },
      ]);
      // by variant: outside a test every row is in the null part
      expect((await s.repos.flow.parts(c.id, 'variant')).map((p) => [p.key, p.recipients])).toEqual([[null, 3]]);
    });

    it('two overlapping runs that both judged the next run due start it once: runs 1, 2, never a third in the same period', async () => {
      await s.repos.customers.insert([values({ external_id: 'd', phone: '+4915010000010' })]);
      const c = await campaign({ recurring: { every: '1d' } });
      await prepare(c.id, { run: 1 });
      await s.repos.campaigns.update(c.id, { preparedAt: T0 }, T0);
      await s.repos.customers.insert([values({ external_id: 'e', phone: '+4915010000011' })]);
      // both read prepared_at = T0 and judged run 2 due; the first to prepare numbers and starts it
      const read = { preparedAt: (await s.repos.campaigns.get(c.name))!.preparedAt };
      expect(await prepare(c.id, { refresh: true, nextRun: read, now: T0 + DAY })).toMatchObject({ added: 1 });
      // a customer who joins meanwhile waits for tomorrow's run: the second overlapping run adds nobody
      await s.repos.customers.insert([values({ external_id: 'f', phone: '+4915010000012' })]);
      await expect(prepare(c.id, { refresh: true, nextRun: read, now: T0 + DAY + 5 })).rejects.toMatchObject({ code: 'run_taken' });
      expect((await s.repos.flow.parts(c.id, 'run')).map((p) => [p.key, p.recipients])).toEqual([[1, 1], [2, 1]]);
      // tomorrow: run 3 is the next number
      expect(await prepare(c.id, { refresh: true, nextRun: { preparedAt: T0 + DAY }, now: T0 + 2 * DAY })).toMatchObject({ added: 1 });
      expect((await s.repos.flow.parts(c.id, 'run')).map((p) => [p.key, p.recipients])).toEqual([[1, 1], [2, 1], [3, 1]]);
    });
  });

  describe.skipIf(!available)('campaign test: whose data the proof shows', () => {
    it('the first row of the list, else the lowest matching customer', async () => {
      await s.repos.customers.insert([values({ external_id: 'a', country: 'AT', phone: '+4915010000000' }), values({ external_id: 'b', country: 'DE', phone: '+4915010000001' })]);
      const [a, b] = await s.repos.customers.list(2);
      const c = await campaign();
      expect(await s.repos.flow.firstRecipient(c.id)).toBeUndefined();
      expect((await s.repos.segmentPreview.preview(await filterOf({ country: 'DE' }), new Date(T0), 1)).map((r) => r.id)).toEqual([b!.id]);
      expect(await s.repos.segmentPreview.preview(await filterOf({ country: 'FR' }), new Date(T0), 1)).toEqual([]);
      await prepare(c.id);
      expect(await s.repos.flow.firstRecipient(c.id)).toBe(a!.id);
    });
  });

  describe.skipIf(!available)('claim-time rules', () => {
    // the rules as a workspace's mkt.yaml states them
    const rules = async (yaml: string): Promise<ClaimCheck> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-flow-'));
      try {
        writeFileSync(path.join(dir, 'mkt.yaml'), yaml);
        return claimRules(await loadSettings(dir, {}), { channel: 'sms' }, () => T0)!;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('frequency cap: counts the messages other campaigns sent (or have in flight) within the window', async () => {
      await s.repos.customers.insert(['+4915010000000', '+4915010000001', '+4915010000002', '+4915010000003'].map((phone, i) => values({ external_id: `x${i}`, phone })));
      const earlier = await campaign();
      await prepare(earlier.id);
      const e = s.ledger(earlier);
      // x0 sent two days ago (outside a one-day window), x1 sent an hour ago, x2 in flight
      const [x0, x1, x2] = (await e.claim(3, T0 - 2 * DAY, { pickSender: () => 'A' })).claimed;
      await e.record([{ id: x0!.id, state: 'sent', providerMessageId: 'm0' }], T0 - 2 * DAY);
      await s.sql('UPDATE campaign_recipients SET claimed_at = ? WHERE id IN (?, ?)', T0 - 3_600_000, x1!.id, x2!.id);
      await e.record([{ id: x1!.id, state: 'sent', providerMessageId: 'm1' }], T0 - 3_600_000);

      const c = await campaign();
      await prepare(c.id);
      const r = await s.ledger(c).claim(10, T0, { pickSender: () => 'A', extraCheck: await rules('frequency_cap:\n  sms: { max: 1, per: 1d }\n') });
      expect({ claimed: r.claimed.map((x) => x.customer.externalId).sort(), skipped: r.skipped }).toEqual({ claimed: ['x0', 'x3'], skipped: 2 });
      const skipped = await s.sql<{ ext: string; code: string }>(
        "SELECT c.external_id AS ext, r.error_code AS code FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id WHERE r.campaign_id = ? AND r.state = 'skipped' ORDER BY c.external_id",
        c.id,
      );
      expect(skipped).toEqual([
        { ext: 'x1', code: 'frequency_cap' },
        { ext: 'x2', code: 'frequency_cap' },
      ]);
    });

    it('quiet hours: defers a row to when its window opens, before any cap is counted', async () => {
      await s.repos.customers.insert([values({ external_id: 'ber', phone: '+4915010000000', country: 'DE' }), values({ external_id: 'nyc', phone: '+12125550001', country: 'US' })]);
      const c = await campaign();
      await prepare(c.id);
      // 12:00Z is 13:00 in Berlin (after its 09:00-12:30 window) and 08:00 in New York (before it)
      const r = await s.ledger(c).claim(10, T0, { pickSender: () => 'A', extraCheck: await rules('quiet_hours:\n  sms: "09:00-12:30"\nfrequency_cap:\n  sms: { max: 5, per: 1d }\n') });
      expect({ claimed: r.claimed.length, deferred: r.deferred }).toEqual({ claimed: 0, deferred: 2 });
      expect(await dueTimes(c.id)).toEqual({ ber: '2026-03-29T07:00:00.000Z', nyc: '2026-03-28T13:00:00.000Z' });
    });
  });
});

describe.skipIf(!pgDb)('frequency caps with several PostgreSQL workers', () => {
  let s: Opened;
  beforeAll(async () => {
    s = await STORES[1]!.open();
  });
  afterAll(async () => {
    await s?.repos.close();
  });
  const check = (): ClaimCheck => ({ recentWindowMs: DAY, verdict: (_row, recent) => (recent() >= 1 ? 'frequency_cap' : undefined) });

  it("a claim waits for another campaign's claim of the same customer, then sees its row and skips", async () => {
    await s.repos.customers.insert([values({ external_id: 'x', phone: '+4915010000000' })], { replace: true });
    const [x] = await s.repos.customers.list(1);
    const a = await s.repos.campaigns.create({ name: 'lock-a', channel: 'sms', segment: 's', provider: 'p', template: 't' }, T0);
    const b = await s.repos.campaigns.create({ name: 'lock-b', channel: 'sms', segment: 's', provider: 'p', template: 't' }, T0);
    for (const id of [a.id, b.id]) await s.repos.audience.prepare({ campaignId: id, channel: 'sms', filter: await filterOf({ all: [] }), now: T0, exclusions: [], refresh: false });
    // worker A, mid-claim: it holds the customer's lock and has written its `sending` row, not committed
    const client = await s.pg!.pool.connect();
    await client.query('BEGIN');
    expect(await lockedRecentCounts(client, { campaignId: a.id, channel: 'sms', customerIds: [x!.id], since: T0 - DAY })).toEqual(new Map());
    await client.query("UPDATE campaign_recipients SET state = 'sending', claimed_at = $2 WHERE campaign_id = $1", [a.id, T0]);
    let done = false;
    const claimB = s
      .ledger(b, 'host:2:b')
      .claim(10, T0, { pickSender: () => 'A', extraCheck: check() })
      .finally(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false); // waiting for A's lock, not counting a snapshot without A's row
    await client.query('COMMIT');
    client.release();
    const r = await claimB;
    expect({ claimed: r.claimed.length, skipped: r.skipped }).toEqual({ claimed: 0, skipped: 1 });
  });

  it('two campaigns claimed at once by two workers: each customer gets one message under a cap of one', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `+49150${String(20000000 + i)}`);
    await s.repos.customers.insert(
      phones.map((phone, i) => values({ external_id: `p${i}`, phone })),
      { replace: true },
    );
    const ids: number[] = [];
    for (const name of ['race-a', 'race-b']) {
      const c = await s.repos.campaigns.create({ name, channel: 'sms', segment: 's', provider: 'p', template: 't' }, T0);
      await s.repos.audience.prepare({ campaignId: c.id, channel: 'sms', filter: await filterOf({ all: [] }), now: T0, exclusions: [], refresh: false });
      ids.push(c.id);
    }
    const ledgers = ids.map((id, i) => s.ledger({ id, channel: 'sms' }, `host:${i}:w`));
    // small claims, interleaved, until both lists are drained
    for (let round = 0; round < 40; round++) {
      const results = await Promise.all(ledgers.map((l) => l.claim(3, T0, { pickSender: () => 'A', extraCheck: check() })));
      if (results.every((r) => r.claimed.length === 0 && r.skipped === 0)) break;
    }
    const perCustomer = await s.sql<{ n: number }>(
      `SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id IN (?, ?) AND state = 'sending' GROUP BY customer_id`,
      ids[0],
      ids[1],
    );
    expect(perCustomer.length).toBe(40);
    expect(perCustomer.every((r) => Number(r.n) === 1)).toBe(true);
  });
});
