/**
 * The read side against a plain oracle, on real SQLite with the real migrations: for any
 * sequence of hits (recipients, kinds, links, human or machine, any hours, any order), the
 * results, the link table and the timeline count what a person would count by hand:
 * unique = distinct recipients, a human click is an open, machine hits stay out of the rates,
 * and click-to-open never exceeds 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignResults } from '../../../src/campaigns/results.js';
import { EngagementRepository, hourOf } from '../../../src/db/engagement.js';
import { linkStats, timeline } from '../../../src/db/engagement-report.js';
import { sqliteResultsStore } from '../../../src/db/sqlite-results.js';
import { openStore } from '../../../src/db/open.js';

const HOUR = 3_600_000;
const RECIPIENTS = 6;

function store() {
  const s = openStore(':memory:');
  s.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`).run();
  const row = s.sqlite.prepare(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, delivery_status, updated_at) VALUES (?, 1, ?, ?, 'sent', ?, 'delivered', 0)`);
  for (let i = 1; i <= RECIPIENTS; i++) row.run(i, i, `r${i}@example.org`, HOUR);
  return s;
}

const hitArb = fc.record({
  ledgerId: fc.integer({ min: 1, max: RECIPIENTS }),
  kind: fc.constantFrom('click' as const, 'open' as const),
  linkId: fc.integer({ min: 1, max: 3 }),
  machine: fc.boolean(),
  hour: fc.integer({ min: 0, max: 5 }),
});

describe('engagement report vs a plain count', () => {
  it('results, links and timeline equal the oracle for any hits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hitArb, { maxLength: 40 }), async (hits) => {
        const s = store();
        const repo = new EngagementRepository(s.sqlite);
        repo.registerLinks(1, [1, 2, 3].map((n) => ({ url: `https://shop.example/${n}`, kind: 'link' as const })), 0);
        for (const h of hits) {
          repo.recordEngagement({ campaignId: 1, ledgerId: h.ledgerId, customerId: h.ledgerId, kind: h.kind, linkId: h.kind === 'click' ? h.linkId : 0, machine: h.machine, at: h.hour * HOUR + 1, source: 'serve', individual: false });
        }
        const human = hits.filter((h) => !h.machine);
        const who = (xs: typeof hits) => new Set(xs.map((h) => h.ledgerId)).size;
        const clickers = who(human.filter((h) => h.kind === 'click'));
        // a recipient opened if they opened or clicked (as a human)
        const openers = who(human);
        const r = await campaignResults(sqliteResultsStore(s), 1, { pending: 0, sending: 0, sent: RECIPIENTS, failed: 0, unknown: 0, skipped: 0 }, { delivered: RECIPIENTS });
        expect(r.unique_clicks.count).toBe(clickers);
        expect(r.unique_opens.count).toBe(openers);
        expect(r.machine_clicks.count).toBe(hits.filter((h) => h.machine && h.kind === 'click').length);
        expect(r.machine_opens.count).toBe(who(hits.filter((h) => h.machine && h.kind === 'open')));
        expect(r.total_clicks).toBe(human.filter((h) => h.kind === 'click').length);
        expect(r.click_through).toBe(Math.round((clickers / RECIPIENTS) * 100_000) / 100_000);
        if (r.click_to_open !== null) expect(r.click_to_open).toBeLessThanOrEqual(1);
        else expect(openers).toBe(0);

        for (const l of linkStats(s, 1)) {
          const on = hits.filter((h) => h.kind === 'click' && h.linkId === l.link_id);
          expect(l.clicks).toBe(on.filter((h) => !h.machine).length);
          expect(l.unique_clicks).toBe(who(on.filter((h) => !h.machine)));
          expect(l.machine_clicks).toBe(on.filter((h) => h.machine).length);
        }

        const hours = timeline(s, 1);
        expect(hours.reduce((a, h) => a + h.sent, 0)).toBe(RECIPIENTS);
        expect(hours.reduce((a, h) => a + h.clicks, 0)).toBe(r.total_clicks);
        for (const h of hours) expect(h.hour).toBe(hourOf(h.hour));
        s.close();
      }),
      { numRuns: 150 },
    );
  });
});
