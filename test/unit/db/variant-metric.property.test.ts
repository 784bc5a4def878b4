/**
 * The A/B metric per variant (variantMetric) is the same in both privacy modes for the same hits:
 * aggregate keeps no per-recipient event, only the seen-set, and the count is read from it. The
 * oracle is the per-recipient events individual mode keeps: distinct test rows with a human click
 * (clicks), or a human open or click (opens: a reader who clicked has opened).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngagementRepository } from '../../../src/db/engagement.js';
import { openStore } from '../../../src/db/open.js';
import { variantMetric } from '../../../src/db/variant-sql.js';

const ROWS = 8;
const variantOf = (id: number) => (id % 3 === 0 ? 'b' : 'a');

function store() {
  const s = openStore(':memory:');
  s.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`).run();
  for (let id = 1; id <= ROWS; id++) {
    s.sqlite.prepare(`INSERT INTO customers (id, external_id, created_at, updated_at) VALUES (?, ?, 0, 0)`).run(id, `c${id}`);
    s.sqlite.prepare(`INSERT INTO campaign_recipients (id, campaign_id, customer_id, address, state, sent_at, variant, updated_at) VALUES (?, 1, ?, ?, 'sent', 0, ?, 0)`).run(id, id, `c${id}@x.example`, variantOf(id));
  }
  return s;
}

const hitArb = fc.record({ ledgerId: fc.integer({ min: 1, max: ROWS }), kind: fc.constantFrom('click' as const, 'open' as const), linkId: fc.integer({ min: 1, max: 3 }), machine: fc.boolean() });

describe('variantMetric', () => {
  it('gives the same per-variant clicks and opens in individual and aggregate mode, equal to the events', () => {
    fc.assert(
      fc.property(fc.array(hitArb, { maxLength: 30 }), (hits) => {
        const result = (individual: boolean) => {
          const s = store();
          const repo = new EngagementRepository(s.sqlite);
          hits.forEach((h, i) => repo.recordEngagement({ campaignId: 1, ledgerId: h.ledgerId, customerId: h.ledgerId, kind: h.kind, linkId: h.kind === 'open' ? 0 : h.linkId, machine: h.machine, at: 1000 + i, source: 'serve', individual }));
          const out = { clicks: Object.fromEntries(variantMetric(s, 1, 'clicks')), opens: Object.fromEntries(variantMetric(s, 1, 'opens')) };
          s.close();
          return out;
        };
        const oracle = (kinds: string[]) => {
          const per = { a: { sent: 0, successes: 0 }, b: { sent: 0, successes: 0 } };
          for (let id = 1; id <= ROWS; id++) per[variantOf(id)].sent++;
          for (const id of new Set(hits.filter((h) => !h.machine && kinds.includes(h.kind)).map((h) => h.ledgerId))) per[variantOf(id)].successes++;
          return per;
        };
        const aggregate = result(false);
        expect(aggregate).toEqual(result(true));
        expect(aggregate).toEqual({ clicks: oracle(['click']), opens: oracle(['click', 'open']) });
      }),
      { numRuns: 60 },
    );
  });
});
