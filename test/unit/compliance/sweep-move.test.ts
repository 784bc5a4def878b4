/**
 * A sweep over every link is seen only at its last click: the earlier clicks of that second,
 * recorded human (in this batch or the one before), are moved to machine with the batch that
 * completes it, counts, seen-set and events alike. (The property over any interleaving runs on
 * both stores: test/unit/db/tracking-contract.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { engagementApplier } from '../../../src/compliance/serve-track.js';
import type { EngagementRecordHit } from '../../../src/compliance/serve-track.js';
import { openStore } from '../../../src/db/open.js';
import { sqliteTrackingStore } from '../../../src/db/sqlite-tracking.js';

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
  const applier = engagementApplier(tracking(individual));
  const t = sqliteTrackingStore(store);
  const apply = (hits: EngagementRecordHit[]) => t.transaction((tx) => applier(tx.engagement, hits));
  const click = (r: number, l: number, at: number) => ({ c: 1, r, l, k: 'click' as const, head: false, ua: 'browser' as const, at });
  const hourly = () => store.sqlite.prepare('SELECT link_id, kind, machine, count, unique_count FROM engagement_hourly ORDER BY kind, machine, link_id').all();
  return { store, apply, click, hourly };
}

describe('a sweep over every link', () => {
  for (const individual of [false, true]) {
    it(`moves its earlier click from an earlier batch to machine, and a later genuine click still counts (individual: ${individual})`, async () => {
      const { store, apply, click, hourly } = setup(individual);
      await apply([click(1, 1, T)]);
      expect(await apply([click(1, 2, T + 300)])).toBe('tracking: 1 hit(s) recorded, 2 machine');
      expect(hourly()).toEqual([
        { link_id: 0, kind: 'click', machine: 1, count: 2, unique_count: 1 },
        { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
        { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      ]);
      // the reader clicks later: a unique human click and open, as if the sweep had never been human
      await apply([click(1, 1, T + 60_000)]);
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

  it('moves earlier clicks of the same batch, leaving another recipient human', async () => {
    const { store, apply, click, hourly } = setup(false);
    await apply([click(1, 1, T), click(2, 1, T + 100), click(1, 1, T + 200), click(1, 2, T + 400)]);
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
});
