/**
 * A sweep over every link is seen only at its last click: the earlier clicks of that second,
 * recorded human (in this batch or the one before), are moved to machine with the batch that
 * completes it, counts, seen-set and events alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engagementApplier } from '../../../src/compliance/serve-track.js';
import { EngagementRepository } from '../../../src/db/engagement.js';
import { openStore } from '../../../src/db/open.js';

const T = 10 * 3_600_000;
const tracking = (individual: boolean) => ({ baseUrl: 'https://t.example', clicks: true, opens: false, individual, utm: {}, botClickWindowMs: 1000 });

function setup(individual: boolean, links = 2) {
  const store = openStore(':memory:');
  const q = (sql: string) => store.sqlite.prepare(sql).run();
  q(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`);
  for (const r of [1, 2]) {
    q(`INSERT INTO customers (id, email, created_at, updated_at) VALUES (${r}, 'a${r}@x.example', 0, 0)`);
    q(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, updated_at) VALUES (${r}, 1, ${r}, 'a${r}@x.example', 'sent', 0, 0)`);
  }
  for (let l = 1; l <= links; l++) q(`INSERT INTO campaign_links (campaign_id, link_id, url, kind, created_at) VALUES (1, ${l}, 'https://shop.example/${l}', 'link', 0)`);
  const apply = engagementApplier(new EngagementRepository(store.sqlite), tracking(individual));
  const click = (r: number, l: number, at: number) => ({ c: 1, r, l, k: 'click' as const, head: false, ua: 'browser' as const, at });
  const hourly = () => store.sqlite.prepare('SELECT link_id, kind, machine, count, unique_count FROM engagement_hourly ORDER BY kind, machine, link_id').all();
  return { store, apply, click, hourly };
}

describe('a sweep over every link', () => {
  for (const individual of [false, true]) {
    it(`moves its earlier click from an earlier batch to machine, and a later genuine click still counts (individual: ${individual})`, () => {
      const { store, apply, click, hourly } = setup(individual);
      apply([click(1, 1, T)]);
      expect(apply([click(1, 2, T + 300)])).toBe('tracking: 1 hit(s) recorded, 2 machine');
      expect(hourly()).toEqual([
        { link_id: 0, kind: 'click', machine: 1, count: 2, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      ]);
      // the reader clicks later: a unique human click and open, as if the sweep had never been human
      apply([click(1, 1, T + 60_000)]);
      expect(hourly()).toEqual([
        { link_id: 0, kind: 'click', machine: 0, count: 1, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 },
        { link_id: 0, kind: 'click', machine: 1, count: 2, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 0, kind: 'open', machine: 0, count: 0, unique_count: 1 },
      ]);
      const events = store.sqlite.prepare('SELECT link_id, machine, reason FROM engagement_events ORDER BY id').all();
      expect(events).toEqual(individual ? [
        { link_id: 1, machine: 1, reason: 'all_links' },
        { link_id: 2, machine: 1, reason: 'all_links' },
        { link_id: 1, machine: 0, reason: null },
      ] : []);
      store.close();
    });
  }

  it('moves earlier clicks of the same batch, leaving another recipient human', () => {
    const { store, apply, click, hourly } = setup(false);
    apply([click(1, 1, T), click(2, 1, T + 100), click(1, 1, T + 200), click(1, 2, T + 400)]);
    expect(hourly()).toEqual([
      { link_id: 0, kind: 'click', machine: 0, count: 1, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 },
      { link_id: 0, kind: 'click', machine: 1, count: 3, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 1, count: 2, unique_count: 1 },
      { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      { link_id: 0, kind: 'open', machine: 0, count: 0, unique_count: 1 },
    ]);
    store.close();
  });

  it('for any interleaving and batching, every hit is counted once and no sweep click stays human', () => {
    const LINKS = 3;
    const hit = fc.record({ r: fc.constantFrom(1, 2), l: fc.integer({ min: 1, max: LINKS }), dt: fc.integer({ min: 0, max: 700 }), cut: fc.boolean() });
    fc.assert(
      fc.property(fc.array(hit, { minLength: 1, maxLength: 25 }), (hs) => {
        const { store, apply, click } = setup(true, LINKS);
        let at = T;
        const batch: ReturnType<typeof click>[] = [];
        // the oracle: each recipient's windows (from its first click, SWEEP_MS long); a window reaching every link is a sweep
        const windows = new Map<number, { since: number; links: Set<number>; members: number[] }>();
        const all: Array<{ members: number[]; links: Set<number> }> = [];
        hs.forEach((h, i) => {
          at += h.dt;
          let w = windows.get(h.r);
          if (!w || at - w.since > 1000) {
            windows.set(h.r, (w = { since: at, links: new Set(), members: [] }));
            all.push(w);
          }
          w.links.add(h.l);
          w.members.push(i);
          batch.push(click(h.r, h.l, at));
          if (h.cut) apply(batch.splice(0));
        });
        if (batch.length) apply(batch);
        const events = store.sqlite.prepare('SELECT ledger_id AS r, link_id AS l, machine FROM engagement_events ORDER BY id').all() as Array<{ r: number; l: number; machine: number }>;
        expect(events).toHaveLength(hs.length);
        for (const w of all) if (w.links.size === LINKS) for (const i of w.members) expect(events[i]!.machine).toBe(1);
        const sum = (sql: string) => (store.sqlite.prepare(sql).get() as { n: number | null }).n ?? 0;
        for (const m of [0, 1]) {
          const mine = events.filter((e) => e.machine === m);
          expect(sum(`SELECT sum(count) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id > 0 AND machine = ${m}`)).toBe(mine.length);
          expect(sum(`SELECT sum(count) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id = 0 AND machine = ${m}`)).toBe(mine.length);
          expect(sum(`SELECT sum(unique_count) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id > 0 AND machine = ${m}`)).toBe(new Set(mine.map((e) => `${e.r}.${e.l}`)).size);
          expect(sum(`SELECT sum(unique_count) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id = 0 AND machine = ${m}`)).toBe(new Set(mine.map((e) => e.r)).size);
        }
        expect(sum(`SELECT sum(unique_count) AS n FROM engagement_hourly WHERE kind = 'open' AND machine = 0`)).toBe(new Set(events.filter((e) => e.machine === 0).map((e) => e.r)).size);
        store.close();
      }),
      { numRuns: 150 },
    );
  });
});
