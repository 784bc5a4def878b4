/**
 * Spooled tracked hits are applied by whoever replays the spool (the next `mkt serve`, or any
 * command that writes: serve-replay.ts), with the tracking rules the server had, never dropped.
 */
import { describe, expect, it } from 'vitest';
import { recordApplier } from '../../../src/compliance/serve-records.js';
import { openStore } from '../../../src/db/open.js';
import { sqliteTrackingStore } from '../../../src/db/sqlite-tracking.js';

describe('replaying spooled hits', () => {
  it('records them with the spooled tracking settings (individual: per-recipient events)', async () => {
    const store = openStore(':memory:');
    store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`).run();
    store.sqlite.prepare(`INSERT INTO customers (id, email, created_at, updated_at) VALUES (5, 'a@x.example', 0, 0)`).run();
    store.sqlite.prepare(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, updated_at) VALUES (9, 1, 5, 'a@x.example', 'sent', 0, 0)`).run();
    store.sqlite.prepare(`INSERT INTO campaign_links (campaign_id, link_id, url, kind, created_at) VALUES (1, 1, 'https://shop.example/', 'link', 0)`).run();
    const apply = recordApplier(sqliteTrackingStore(store), () => undefined);
    const tracking = { baseUrl: 'https://t.example', clicks: true, opens: false, individual: true, utm: {}, botClickWindowMs: 1000 };
    await apply([{ t: 'engage', at: 3_600_000, hits: [{ c: 1, r: 9, l: 1, k: 'click', head: false, ua: 'browser', at: 3_600_000 }], tracking }]);
    expect(store.sqlite.prepare(`SELECT link_id, kind, machine, count, unique_count FROM engagement_hourly WHERE link_id = 1`).all()).toEqual([{ link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 }]);
    expect(store.sqlite.prepare('SELECT customer_id, kind FROM engagement_events').all()).toEqual([{ customer_id: 5, kind: 'click' }]);
    store.close();
  });
});
