/**
 * The engagement write repository: link ids are stable per destination, hourly counts add up in
 * both privacy modes, "first for this recipient" is true exactly once per (kind, link, machine),
 * and aggregate mode stores no recipient id anywhere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngagementRepository, hourOf, type EngagementHit } from '../../../src/db/engagement.js';
import { openStore } from '../../../src/db/open.js';

function store() {
  const s = openStore(':memory:');
  s.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`).run();
  return s;
}

const HOUR = 3_600_000;
const hit = (over: Partial<EngagementHit>): EngagementHit => ({ campaignId: 1, ledgerId: 7, customerId: 42, kind: 'click', linkId: 1, machine: false, at: 5 * HOUR + 10, source: 'serve', individual: false, ...over });

describe('campaign links', () => {
  it('numbers destinations 1..n and keeps the id of a URL already known', () => {
    const s = store();
    const repo = new EngagementRepository(s.sqlite);
    const a = repo.registerLinks(1, [{ url: 'https://a.example/', kind: 'link' }, { url: 'https://b.example/', kind: 'link' }, { url: 'https://a.example/', kind: 'link' }], 0);
    expect([...a]).toEqual([['https://a.example/', 1], ['https://b.example/', 2]]);
    const b = repo.registerLinks(1, [{ url: 'https://c.example/', kind: 'sms' }, { url: 'https://b.example/', kind: 'link' }], 0);
    expect([...b]).toEqual([['https://c.example/', 3], ['https://b.example/', 2]]);
    expect(repo.link(1, 3)).toEqual({ link_id: 3, url: 'https://c.example/', kind: 'sms' });
    expect(repo.link(1, 9)).toBeUndefined();
    expect(repo.linkCount(1)).toBe(3);
  });
});

describe('recordEngagement', () => {
  it('is first exactly once per recipient, kind, link and machine flag, whatever the order of hits', () => {
    const arb = fc.array(fc.record({ ledgerId: fc.integer({ min: 1, max: 5 }), linkId: fc.integer({ min: 1, max: 3 }), machine: fc.boolean() }), { maxLength: 40 });
    fc.assert(
      fc.property(arb, fc.boolean(), (hits, individual) => {
        const s = store();
        const repo = new EngagementRepository(s.sqlite);
        const seen = new Set<string>();
        const seenAny = new Set<string>();
        for (const h of hits) {
          const r = repo.recordEngagement(hit({ ...h, individual }));
          const k = `${h.ledgerId}/${h.linkId}/${h.machine}`;
          expect(r.first).toBe(!seen.has(k));
          expect(r.firstForCampaign).toBe(!seenAny.has(`${h.ledgerId}/${h.machine}`));
          seen.add(k);
          seenAny.add(`${h.ledgerId}/${h.machine}`);
        }
        const sum = s.sqlite.prepare(`SELECT coalesce(sum(count), 0) AS n, coalesce(sum(unique_count), 0) AS u FROM engagement_hourly WHERE kind = 'click' AND link_id > 0`).get() as { n: number; u: number };
        expect(sum).toEqual({ n: hits.length, u: seen.size });
        const all = s.sqlite.prepare(`SELECT coalesce(sum(count), 0) AS n, coalesce(sum(unique_count), 0) AS u FROM engagement_hourly WHERE kind = 'click' AND link_id = 0`).get() as { n: number; u: number };
        expect(all).toEqual({ n: hits.length, u: seenAny.size });
        const events = (s.sqlite.prepare('SELECT count(*) AS n FROM engagement_events').get() as { n: number }).n;
        expect(events).toBe(individual ? hits.length : 0);
        s.close();
      }),
      { numRuns: 50 },
    );
  });

  it('a human click is a unique human open; a machine click is not', () => {
    const s = store();
    const repo = new EngagementRepository(s.sqlite);
    repo.recordEngagement(hit({ ledgerId: 1, machine: true }));
    repo.recordEngagement(hit({ ledgerId: 2 }));
    repo.recordEngagement(hit({ ledgerId: 2, linkId: 2 }));
    repo.recordEngagement(hit({ ledgerId: 2, kind: 'open', linkId: 0 }));
    const opens = s.sqlite.prepare(`SELECT machine, sum(count) AS n, sum(unique_count) AS u FROM engagement_hourly WHERE kind = 'open' GROUP BY machine`).all();
    // one pixel hit, one unique human opener (implied by the click, not counted again by the pixel)
    expect(opens).toEqual([{ machine: 0, n: 1, u: 1 }]);
    expect(s.sqlite.prepare(`SELECT DISTINCT hour FROM engagement_hourly`).all()).toEqual([{ hour: hourOf(5 * HOUR + 10) }]);
  });

  it('aggregate mode keeps no customer or ledger id: only the keyed digest', () => {
    const s = store();
    const repo = new EngagementRepository(s.sqlite);
    repo.recordEngagement(hit({ ledgerId: 123456, customerId: 987654 }));
    const dump = JSON.stringify([s.sqlite.prepare('SELECT * FROM engagement_hourly').all(), s.sqlite.prepare('SELECT campaign_id, kind, link_id, machine, hex(digest) AS d FROM engagement_seen').all(), s.sqlite.prepare('SELECT * FROM engagement_events').all()]);
    expect(dump).not.toContain('123456');
    expect(dump).not.toContain('987654');
    expect(repo.digest(1, 123456)?.toString('hex').toUpperCase()).toBe((s.sqlite.prepare('SELECT hex(digest) AS d FROM engagement_seen LIMIT 1').get() as { d: string }).d);
    repo.dropSeenKey(1);
    expect(repo.digest(1, 123456)).toBeUndefined();
  });
});
