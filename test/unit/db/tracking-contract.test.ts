/**
 * The store contract suite for the write side of tracking and feedback (repos.tracking): the
 * same cases against both stores, as test/unit/db/store-contract.test.ts does for the others.
 * The same hits give the same hourly counts, uniques and machine reclassification (the sweep
 * property of test/unit/compliance/sweep-move.test.ts, here on both stores); the same provider
 * events give the same summary, ledger and suppressions; a send records its links the same way.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyFeedback, type FeedbackEvent } from '../../../src/compliance/feedback/index.js';
import { recordApplier } from '../../../src/compliance/serve-records.js';
import { engagementApplier, type EngagementRecordHit } from '../../../src/compliance/serve-track.js';
import { openStore } from '../../../src/db/open.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import { pgRepositories } from '../../../src/db/pg/repositories.js';
import type { Repositories } from '../../../src/db/repositories.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { pgTestDatabase, type PgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('tracking');

/** A store as repositories, plus plain SQL on it (statements both dialects read alike) to set up and look. */
interface Opened {
  repos: Repositories;
  run(sql: string): Promise<void>;
  all(sql: string): Promise<unknown[]>;
}

const STORES: Array<{ name: string; available: boolean; open(): Promise<Opened> }> = [
  {
    name: 'sqlite',
    available: true,
    open: async () => {
      const store = openStore(':memory:');
      return { repos: sqliteRepositories(store), run: async (sql) => void store.sqlite.exec(sql), all: async (sql) => store.sqlite.prepare(sql).all() };
    },
  },
  {
    name: 'postgres',
    available: pgDb !== undefined,
    open: async () => {
      const store = await openPgStore((pgDb as PgTestDatabase).url);
      return { repos: pgRepositories(store), run: async (sql) => void (await store.pool.query(sql)), all: async (sql) => (await store.pool.query(sql)).rows };
    },
  },
];

afterAll(async () => {
  await pgDb?.drop();
});

const T = 10 * 3_600_000;
const LINKS = 3;
const tracking = (individual: boolean) => ({ baseUrl: 'https://t.example', clicks: true, opens: false, individual, utm: {}, botClickWindowMs: 1000 });
const click = (r: number, l: number, at: number): EngagementRecordHit => ({ c: 1, r, l, k: 'click', head: false, ua: 'browser', at });
const ENGAGEMENT_TABLES = ['engagement_hourly', 'engagement_events', 'engagement_seen', 'feedback_events', 'suppressions'];

describe.each(STORES)('tracking store contract: $name', ({ available, open }) => {
  let s: Opened;
  beforeAll(async () => {
    if (!available) return;
    s = await open();
    await s.run(`INSERT INTO campaigns (id, name, channel, segment, provider, template, settings, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', '{}', 0, 0)`);
    await s.run(`INSERT INTO campaigns (id, name, channel, segment, provider, template, settings, created_at, updated_at) VALUES (2, 'own', 'sms', 's', 'p', 't', '{"tracking":{"individual":true}}', 0, 0)`);
    for (const r of [1, 2, 3]) {
      await s.run(`INSERT INTO customers (id, email, phone, created_at, updated_at) VALUES (${r}, 'a${r}@x.example', '+4479111234${50 + r}', 0, 0)`);
      await s.run(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, provider_message_id, updated_at) VALUES (${r}, 1, ${r}, 'a${r}@x.example', '${r === 3 ? 'unknown' : 'sent'}', ${r === 3 ? 'NULL' : '0'}, 'pm-${r}', 0)`);
    }
    await s.run(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, provider_message_id, updated_at) VALUES (4, 2, 1, '+447911123451', 'sent', 0, 'SM4', 0)`);
  });
  afterAll(async () => {
    await s?.repos.close();
  });
  beforeEach(async () => {
    if (available) for (const t of ENGAGEMENT_TABLES) await s.run(`DELETE FROM ${t}`);
  });

  describe.skipIf(!available)('links', () => {
    it('records destinations once, ids 1..n in the order first seen, and reads them back', async () => {
      const t = s.repos.tracking;
      const a = await t.registerLinks(2, [{ url: 'https://a.example/', kind: 'sms' }, { url: 'https://b.example/', kind: 'sms' }, { url: 'https://a.example/', kind: 'sms' }], 5);
      expect([...a]).toEqual([['https://a.example/', 1], ['https://b.example/', 2]]);
      const b = await t.registerLinks(2, [{ url: 'https://c.example/', kind: 'button' }, { url: 'https://b.example/', kind: 'sms' }], 6);
      expect([...b]).toEqual([['https://c.example/', 3], ['https://b.example/', 2]]);
      expect(await t.links(2)).toEqual([
        { link_id: 1, url: 'https://a.example/', kind: 'sms' },
        { link_id: 2, url: 'https://b.example/', kind: 'sms' },
        { link_id: 3, url: 'https://c.example/', kind: 'button' },
      ]);
      expect(await t.link(2, 3)).toEqual({ link_id: 3, url: 'https://c.example/', kind: 'button' });
      expect(await t.link(2, 9)).toBeUndefined();
      // several senders recording the same new links at once still give one id each
      const many = await Promise.all([1, 2, 3, 4].map(() => t.registerLinks(2, [{ url: 'https://d.example/', kind: 'sms' }, { url: 'https://e.example/', kind: 'sms' }], 7)));
      expect(many.map((m) => [...m.values()])).toEqual([[4, 5], [4, 5], [4, 5], [4, 5]]);
    });
  });

  describe.skipIf(!available)('engagement', () => {
    beforeAll(async () => {
      if (available) await s.repos.tracking.registerLinks(1, [1, 2, 3].map((n) => ({ url: `https://shop.example/${n}`, kind: 'link' as const })), 0);
    });
    const hourly = () => s.all('SELECT link_id, kind, machine, count, unique_count FROM engagement_hourly ORDER BY kind, machine, link_id');

    it('a sweep over every link: its earlier click moves to machine, a later genuine click is still a unique human one', async () => {
      const applier = engagementApplier(tracking(true));
      const apply = (hits: EngagementRecordHit[]) => s.repos.tracking.transaction((tx) => applier(tx.engagement, hits));
      await apply([click(1, 1, T), click(1, 2, T + 100)]);
      expect(await apply([click(1, 3, T + 300)])).toBe('tracking: 1 hit(s) recorded, 3 machine');
      await apply([click(1, 1, T + 60_000)]);
      expect(await hourly()).toEqual([
        { link_id: 0, kind: 'click', machine: 0, count: 1, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 },
        { link_id: 0, kind: 'click', machine: 1, count: 3, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 3, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 0, kind: 'open', machine: 0, count: 0, unique_count: 1 },
      ]);
      expect(await s.all('SELECT ledger_id, customer_id, link_id, machine, reason, source FROM engagement_events ORDER BY id')).toEqual([
        { ledger_id: 1, customer_id: 1, link_id: 1, machine: 1, reason: 'all_links', source: 'serve' },
        { ledger_id: 1, customer_id: 1, link_id: 2, machine: 1, reason: 'all_links', source: 'serve' },
        { ledger_id: 1, customer_id: 1, link_id: 3, machine: 1, reason: 'all_links', source: 'serve' },
        { ledger_id: 1, customer_id: 1, link_id: 1, machine: 0, reason: null, source: 'serve' },
      ]);
    });

    it('for any interleaving and batching, every hit is counted once, uniques are right and no sweep click stays human (property)', async () => {
      const hit = fc.record({ r: fc.constantFrom(1, 2), l: fc.integer({ min: 1, max: LINKS }), dt: fc.integer({ min: 0, max: 700 }), cut: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(hit, { minLength: 1, maxLength: 25 }), async (hs) => {
          for (const t of ENGAGEMENT_TABLES) await s.run(`DELETE FROM ${t}`);
          const applier = engagementApplier(tracking(true));
          const apply = (hits: EngagementRecordHit[]) => s.repos.tracking.transaction((tx) => applier(tx.engagement, hits));
          let at = T;
          const batch: EngagementRecordHit[] = [];
          // the oracle: each recipient's windows (from its first click, SWEEP_MS long); a window reaching every link is a sweep
          const windows = new Map<number, { since: number; links: Set<number>; members: number[] }>();
          const all: Array<{ members: number[]; links: Set<number> }> = [];
          for (const [i, h] of hs.entries()) {
            at += h.dt;
            let w = windows.get(h.r);
            if (!w || at - w.since > 1000) {
              windows.set(h.r, (w = { since: at, links: new Set(), members: [] }));
              all.push(w);
            }
            w.links.add(h.l);
            w.members.push(i);
            batch.push(click(h.r, h.l, at));
            if (h.cut) await apply(batch.splice(0));
          }
          if (batch.length) await apply(batch);
          const events = (await s.all('SELECT ledger_id AS r, link_id AS l, machine FROM engagement_events ORDER BY id')) as Array<{ r: number; l: number; machine: number }>;
          expect(events).toHaveLength(hs.length);
          for (const w of all) if (w.links.size === LINKS) for (const i of w.members) expect(events[i]!.machine).toBe(1);
          const sum = async (where: string, col = 'count') => Number(((await s.all(`SELECT sum(${col}) AS n FROM engagement_hourly WHERE ${where}`))[0] as { n: number | null }).n ?? 0);
          for (const m of [0, 1]) {
            const mine = events.filter((e) => e.machine === m);
            expect(await sum(`kind = 'click' AND link_id > 0 AND machine = ${m}`)).toBe(mine.length);
            expect(await sum(`kind = 'click' AND link_id = 0 AND machine = ${m}`)).toBe(mine.length);
            expect(await sum(`kind = 'click' AND link_id > 0 AND machine = ${m}`, 'unique_count')).toBe(new Set(mine.map((e) => `${e.r}.${e.l}`)).size);
            expect(await sum(`kind = 'click' AND link_id = 0 AND machine = ${m}`, 'unique_count')).toBe(new Set(mine.map((e) => e.r)).size);
          }
          expect(await sum(`kind = 'open' AND machine = 0`, 'unique_count')).toBe(new Set(events.filter((e) => e.machine === 0).map((e) => e.r)).size);
        }),
        { numRuns: 60 },
      );
    });
  });

  describe.skipIf(!available)('feedback', () => {
    const ses = (e: Partial<FeedbackEvent> & { kind: string }): FeedbackEvent => ({ source: 'ses', payload: JSON.stringify(e), ...e });

    it('applies delivery reports, bounces, keywords and reported engagement the same way, all in one transaction', async () => {
      const events: FeedbackEvent[] = [
        ses({ kind: 'delivery', providerMessageId: 'pm-1', status: 'delivered', at: T }),
        // a late `sent` never downgrades `delivered`
        ses({ kind: 'send', providerMessageId: 'pm-1', status: 'sent', at: T + 1 }),
        // a report on an `unknown` attempt proves it sent
        ses({ kind: 'delivery', ref: { campaignId: 1, recipientId: 3, attempt: 1 }, status: 'delivered', at: T + 2 }),
        ses({ kind: 'bounce', providerMessageId: 'pm-2', status: 'bounced', at: T + 3, code: '5.1.1', suppress: [{ channel: 'email', address: 'a2@x.example', reason: 'bounced' }] }),
        ses({ kind: 'open', providerMessageId: 'pm-1', engagement: { kind: 'open', machine: true, reason: 'mail_proxy' }, at: T + 4 }),
        ses({ kind: 'click', providerMessageId: 'pm-1', engagement: { kind: 'click', url: 'https://new.example/' }, at: T + 5 }),
        { source: 'twilio', kind: 'inbound', payload: 'stop', suppress: [{ channel: 'sms', address: '+447911123451', reason: 'stop_keyword' }] },
        { source: 'twilio', kind: 'status', providerMessageId: 'SM4', status: 'read', at: T + 6, payload: 'read' },
        { source: 'twilio', kind: 'inbound', payload: 'start', lift: [{ channel: 'sms', address: '+447911123451' }] },
        // START lifts only a keyword opt-out, never a bounce
        ses({ kind: 'subscription', lift: [{ channel: 'email', address: 'a2@x.example' }] }),
        ses({ kind: 'delivery', providerMessageId: 'pm-none', status: 'delivered' }),
        ses({ kind: 'Rendering Failure', type: 'Rendering Failure' }),
      ];
      const summary = await s.repos.tracking.transaction((tx) => applyFeedback(tx, events, T + 10, { individual: false }));
      expect(summary).toEqual({
        events: 12,
        matched: 7,
        unmatched: 1,
        delivery: { delivered: 2, bounced: 1, read: 1 },
        engagement: { delivered: 2, machine_open: 1, click: 1, read: 1 },
        proven_sent: 1,
        suppressed: 1 + 1,
        lifted: 1,
        // a lift asked for is not ignored, even when it lifts nothing
        ignored: { 'ses Rendering Failure': 1 },
      });
      expect(await s.all('SELECT id, state, delivery_status, delivery_at, sent_at FROM campaign_recipients ORDER BY id')).toEqual([
        { id: 1, state: 'sent', delivery_status: 'delivered', delivery_at: T, sent_at: 0 },
        { id: 2, state: 'sent', delivery_status: 'bounced', delivery_at: T + 3, sent_at: 0 },
        { id: 3, state: 'sent', delivery_status: 'delivered', delivery_at: T + 2, sent_at: T + 2 },
        { id: 4, state: 'sent', delivery_status: 'read', delivery_at: T + 6, sent_at: 0 },
      ]);
      expect(await s.all('SELECT channel, address, reason, source, note FROM suppressions ORDER BY id')).toEqual([{ channel: 'email', address: 'a2@x.example', reason: 'bounced', source: 'feedback:ses', note: '5.1.1' }]);
      // the click's destination joined the campaign's links; campaign 2 tracks individually (its own setting)
      expect((await s.repos.tracking.links(1)).map((l) => l.url)).toContain('https://new.example/');
      expect(await s.all("SELECT campaign_id, ledger_id, kind, source FROM engagement_events ORDER BY id")).toEqual([{ campaign_id: 2, ledger_id: 4, kind: 'read', source: 'twilio' }]);
      expect(Number(((await s.all('SELECT count(*) AS n FROM feedback_events'))[0] as { n: number }).n)).toBe(12);

      // the same file again: engagement counted once, nothing moves
      const again = await s.repos.tracking.transaction((tx) => applyFeedback(tx, events.slice(4, 6), T + 20));
      expect(again.engagement).toEqual({});
    });

    it('leaves the store unchanged when the batch fails part way', async () => {
      const boom = new Error('boom');
      await expect(
        s.repos.tracking.transaction(async (tx) => {
          await applyFeedback(tx, [ses({ kind: 'bounce', providerMessageId: 'pm-2', status: 'bounced', suppress: [{ channel: 'email', address: 'a2@x.example', reason: 'bounced' }] })], T);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await s.all('SELECT address FROM suppressions')).toEqual([]);
      expect(await s.all('SELECT id FROM feedback_events')).toEqual([]);
    });

    it('an unsubscribe record suppresses the address the campaign sent to, in canonical form, once', async () => {
      const lines: string[] = [];
      const apply = recordApplier(s.repos.tracking, (l) => lines.push(l));
      const unsubscribe = { t: 'unsubscribe' as const, at: T, campaignId: 1, customerId: 2, channel: 'email' as const, ref: 'r1' };
      await apply([unsubscribe, unsubscribe, { ...unsubscribe, customerId: 3, campaignId: 9, channel: 'sms' }]);
      expect(await s.all('SELECT channel, address, reason, source, created_at FROM suppressions ORDER BY id')).toEqual([
        { channel: 'email', address: 'a2@x.example', reason: 'unsubscribed', source: 'unsubscribe:c1', created_at: T },
        // no ledger row in campaign 9: the customer's current phone
        { channel: 'sms', address: '+447911123453', reason: 'unsubscribed', source: 'unsubscribe:c9', created_at: T },
      ]);
      expect(lines).toEqual(['unsubscribed customer 2 from email (campaign 1, token r1)', 'unsubscribed customer 3 from sms (campaign 9, token r1)']);
    });
  });
});
