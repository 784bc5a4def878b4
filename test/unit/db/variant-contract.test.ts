/**
 * The variant contract suite (A/B tests): the same ledger on both stores, the same results —
 * the same deterministic assignment at prepare (held rows included), the same progress, the same
 * metric (delivered from the ledger, clicks / opens from the seen-set the SQLite engagement writer
 * records), the same per-variant parts, and a decision that releases the held rows ONCE, also
 * when two deciders ask at the same moment (on PostgreSQL: two connections, two transactions).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickVariant } from '../../../src/campaigns/ab-test.js';
import { WRITE_COLUMNS, type CustomerValues } from '../../../src/db/customers-writer.js';
import { EngagementRepository } from '../../../src/db/engagement.js';
import type { Filter } from '../../../src/db/filter.js';
import { openStore } from '../../../src/db/open.js';
import { HELD } from '../../../src/db/variant-sql.js';
import type { VariantMetric } from '../../../src/db/variant-store.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { stringify } from 'yaml';
import { contractStores, type ContractStore } from '../../support/contract-stores.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('variants');

const STORES = contractStores(pgDb);

afterAll(async () => {
  await pgDb?.drop();
});

const T0 = Date.UTC(2026, 5, 1, 10);
const N = 240;
const VARIANTS = { a: {}, b: { weight: 2 }, c: {} };
const FRACTION = 0.3;
const HITS = { click: [3, 8, 20, 21, 40, 41, 42, 77], open: [5, 8, 13, 60] };

function customer(i: number): CustomerValues {
  const row: Record<string, unknown> = { external_id: `v${i}`, email: `kim${i}@example.org`, email_opt_in: 1, sms_opt_in: 0, whatsapp_opt_in: 0, created_at: T0, updated_at: T0, attributes: '{}' };
  return WRITE_COLUMNS.map((col) => row[col] ?? null);
}

async function everyone(): Promise<Filter> {
  return (await new SegmentLibrary(memorySource({ s: stringify({ where: { email_opt_in: true } }) })).resolve('s'))!.filter!;
}

/** What each store gives, to be compared at the end. */
const seen = new Map<string, unknown>();

describe.each(STORES)('variant contract: $name', ({ name, available, open }) => {
  let s: ContractStore;
  const campaign = async (label: string) => {
    const c = await s.repos.campaigns.create({ name: label, channel: 'email', segment: 's', provider: 'p', template: 't' }, T0);
    await s.repos.audience.prepare({ campaignId: c.id, channel: 'email', filter: await everyone(), now: T0, exclusions: [], refresh: false });
    return c;
  };
  const pick = (label: string) => (customerId: number) => pickVariant(label, customerId, VARIANTS, FRACTION);
  const assignment = async (id: number) =>
    s.sql<{ customer: number; variant: string | null; held: number }>(
      `SELECT customer_id AS customer, variant, CASE WHEN next_attempt_at = ? THEN 1 ELSE 0 END AS held FROM campaign_recipients WHERE campaign_id = ? ORDER BY customer_id`,
      HELD,
      id,
    );

  beforeAll(async () => {
    if (!available) return;
    s = await open();
    await s.repos.customers.insert(Array.from({ length: N }, (_, i) => customer(i)));
  });
  afterAll(async () => {
    await s?.repos.close();
  });

  it.skipIf(!available)('assigns each customer the variant pickVariant gives (or holds them), once; the metric, parts and one decision follow', async () => {
    const c = await campaign('spring');
    const held = await s.repos.variants.assign(c.id, pick('spring'), T0);
    const rows = await assignment(c.id);
    expect(rows).toHaveLength(N);
    for (const r of rows) {
      const v = pickVariant('spring', r.customer, VARIANTS, FRACTION);
      expect({ customer: r.customer, variant: r.variant, held: r.held }).toEqual({ customer: r.customer, variant: v, held: v === null ? 1 : 0 });
    }
    expect(held).toBe(rows.filter((r) => r.variant === null).length);
    expect(held).toBeGreaterThan(N / 2);
    // again (a refresh): nothing new to assign, nothing changes
    expect(await s.repos.variants.assign(c.id, pick('spring'), T0 + 1)).toBe(0);
    expect(await assignment(c.id)).toEqual(rows);
    expect(await s.repos.variants.progress(c.id)).toEqual({ held, testSentAt: null });

    // the test fraction is sent; a third of it (and every c) delivered
    await s.sql(`UPDATE campaign_recipients SET state = 'sent', sent_at = ? + id WHERE campaign_id = ? AND variant IS NOT NULL`, T0, c.id);
    await s.sql(`UPDATE campaign_recipients SET delivery_status = CASE WHEN id % 2 = 0 THEN 'read' ELSE 'delivered' END WHERE campaign_id = ? AND (variant = 'c' OR id % 3 = 0) AND variant IS NOT NULL`, c.id);
    const sent = await s.sql<{ id: number; variant: string; delivered: number }>(
      `SELECT id, variant, CASE WHEN delivery_status IS NOT NULL THEN 1 ELSE 0 END AS delivered FROM campaign_recipients WHERE campaign_id = ? AND variant IS NOT NULL ORDER BY id`,
      c.id,
    );
    const firstSent = T0 + sent[0]!.id;
    expect(await s.repos.variants.progress(c.id)).toEqual({ held, testSentAt: firstSent });
    const oracle = (reached: (r: { id: number; delivered: number }) => boolean) => {
      const out: Record<string, { sent: number; successes: number }> = {};
      for (const r of sent) {
        const v = (out[r.variant] ??= { sent: 0, successes: 0 });
        v.sent++;
        if (reached(r)) v.successes++;
      }
      return out;
    };
    const delivered = Object.fromEntries(await s.repos.variants.metric(c.id, 'delivered'));
    expect(delivered).toEqual(oracle((r) => r.delivered === 1));

    // clicks and opens: the seen-set as the SQLite engagement writer records it (aggregate mode), copied into this store
    const ids = sent.map((r) => r.id);
    const clicked = HITS.click.map((i) => ids[i % ids.length]!);
    const opened = HITS.open.map((i) => ids[i % ids.length]!);
    const scratch = openStore(':memory:');
    const writer = new EngagementRepository(scratch.sqlite);
    let at = T0;
    for (const id of clicked) writer.recordEngagement({ campaignId: c.id, ledgerId: id, customerId: id, kind: 'click', linkId: 1, machine: false, at: ++at, source: 'serve', individual: false });
    for (const id of opened) writer.recordEngagement({ campaignId: c.id, ledgerId: id, customerId: id, kind: 'open', linkId: 0, machine: false, at: ++at, source: 'serve', individual: false });
    // a machine click is not a human one
    writer.recordEngagement({ campaignId: c.id, ledgerId: ids[1]!, customerId: 1, kind: 'click', linkId: 1, machine: true, at: ++at, source: 'serve', individual: false });
    for (const k of scratch.sqlite.prepare('SELECT campaign_id, key, created_at FROM engagement_keys').all() as Array<{ campaign_id: number; key: Buffer; created_at: number }>) {
      await s.sql('INSERT INTO engagement_keys (campaign_id, key, created_at) VALUES (?, ?, ?)', k.campaign_id, k.key, k.created_at);
    }
    for (const r of scratch.sqlite.prepare('SELECT campaign_id, kind, link_id, machine, digest FROM engagement_seen').all() as Array<{ campaign_id: number; kind: string; link_id: number; machine: number; digest: Buffer }>) {
      await s.sql('INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest) VALUES (?, ?, ?, ?, ?)', r.campaign_id, r.kind, r.link_id, r.machine, r.digest);
    }
    scratch.close();
    const clicks = Object.fromEntries(await s.repos.variants.metric(c.id, 'clicks'));
    const opens = Object.fromEntries(await s.repos.variants.metric(c.id, 'opens'));
    expect(clicks).toEqual(oracle((r) => clicked.includes(r.id)));
    // a reader who clicked has opened
    expect(opens).toEqual(oracle((r) => clicked.includes(r.id) || opened.includes(r.id)));

    const partsBefore = await s.repos.variants.parts(c.id);
    expect(partsBefore.map((p) => p.key)).toEqual([null, 'a', 'b', 'c']);
    expect(partsBefore[0]).toMatchObject({ recipients: held, first_sent_at: null, counts: { pending: held, sent: 0 } });

    // the decision: choose sees the metric, the held rows go to its winner (due now), once
    let asked: VariantMetric | undefined;
    const decided = await s.repos.variants.decide(c.id, 'delivered', (m) => ((asked = m), { winner: 'b', note: 'mine' }), T0 + 5);
    expect(decided).toEqual({ decision: { winner: 'b', note: 'mine' }, released: held });
    expect(Object.fromEntries(asked!)).toEqual(delivered);
    expect(await s.sql(`SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' AND (variant <> 'b' OR next_attempt_at <> 0)`, c.id)).toEqual([{ n: 0 }]);
    expect(await s.repos.variants.progress(c.id)).toEqual({ held: 0, testSentAt: firstSent });
    expect(await s.repos.variants.decide(c.id, 'delivered', () => expect.fail('decided twice'), T0 + 6)).toBeUndefined();
    const partsAfter = await s.repos.variants.parts(c.id);
    expect(partsAfter.map((p) => [p.key, p.recipients])).toEqual([
      ['a', rows.filter((r) => r.variant === 'a').length],
      ['b', rows.filter((r) => r.variant !== 'a' && r.variant !== 'c').length],
      ['c', rows.filter((r) => r.variant === 'c').length],
    ]);
    seen.set(name, { rows, held, delivered, clicks, opens, partsBefore, partsAfter });
  });

  it.skipIf(!available)('for any variants, weights and fraction, every row gets exactly what pickVariant gives its customer', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), fc.record({ weight: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }) }), { minKeys: 2, maxKeys: 4 }),
        fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
        async (variants, fraction) => {
          const label = `prop-${++run}`;
          const c = await campaign(label);
          const held = await s.repos.variants.assign(c.id, (id) => pickVariant(label, id, variants, fraction), T0);
          const rows = await assignment(c.id);
          expect(rows.map((r) => [r.customer, r.variant, r.held])).toEqual(
            rows.map((r) => {
              const v = pickVariant(label, r.customer, variants, fraction);
              return [r.customer, v, v === null ? 1 : 0];
            }),
          );
          expect(held).toBe(rows.filter((r) => r.variant === null).length);
          if (fraction === undefined) expect(held).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it.skipIf(!available)('two deciders at the same moment: one decides and releases every held row, the other finds nothing to do', async () => {
    const c = await campaign('race');
    const held = await s.repos.variants.assign(c.id, pick('race'), T0);
    expect(held).toBeGreaterThan(0);
    await s.sql(`UPDATE campaign_recipients SET state = 'sent', sent_at = ? WHERE campaign_id = ? AND variant IS NOT NULL`, T0, c.id);
    const choices: string[] = [];
    const decider = (winner: string) => s.repos.variants.decide(c.id, 'delivered', () => (choices.push(winner), { winner }), T0 + 1);
    // three reads at once first, so a PostgreSQL pool has three connections open: the deciders then truly overlap
    await Promise.all([1, 2, 3].map(() => s.repos.variants.progress(c.id)));
    const results = await Promise.all([decider('a'), decider('b'), decider('c')]);
    const done = results.filter((r) => r !== undefined);
    expect(done).toHaveLength(1);
    expect(done[0]!.released).toBe(held);
    expect(choices).toEqual([done[0]!.decision.winner]);
    // every held row went to that one winner, due now
    expect(await s.sql(`SELECT variant, next_attempt_at AS due, count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending' GROUP BY variant, next_attempt_at`, c.id)).toEqual([
      { variant: done[0]!.decision.winner, due: 0, n: held },
    ]);
  });
});

describe.skipIf(!pgDb)('variant contract: both stores', () => {
  it('gave the same assignment, metric and parts', () => {
    expect([...seen.keys()]).toEqual(['sqlite', 'postgres']);
    expect(seen.get('postgres')).toEqual(seen.get('sqlite'));
  });
});
