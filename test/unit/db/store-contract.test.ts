/**
 * The store contract suite: the same cases against every store, as the provider contract suite
 * runs every provider. SQLite always runs (in memory, real migrations); PostgreSQL runs against
 * the server of scripts/pg-test-setup.sh, in a database of its own (see test/support/pg.ts).
 * A new repository gets its cases here, once, for both stores.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findCustomer } from '../../../src/customers/find.js';
import { toRecord } from '../../../src/customers/record.js';
import { openRepositories } from '../../../src/db/connect.js';
import { WRITE_COLUMNS, type CustomerValues } from '../../../src/db/customers-writer.js';
import type { Channel } from '../../../src/channels.js';
import type { ExclusionRule } from '../../../src/db/audience-sql.js';
import { frequencyCapRule } from '../../../src/db/compliance-sql.js';
import type { Filter } from '../../../src/db/filter.js';
import type { Repositories } from '../../../src/db/repositories.js';
import { matches } from '../../../src/segments/evaluate.js';
import { fieldOption } from '../../../src/segments/index.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { pgTestDatabase, type PgTestDatabase } from '../../support/pg.js';
import { condition, customer, NOW } from '../segments/arbitraries.js';
import type { TestCustomer } from '../segments/support.js';

const pgDb = await pgTestDatabase('contract');

const STORES: Array<{ name: string; available: boolean; open(): Promise<Repositories> }> = [
  { name: 'sqlite', available: true, open: () => openRepositories({ kind: 'sqlite', path: ':memory:' }) },
  { name: 'postgres', available: pgDb !== undefined, open: () => openRepositories({ kind: 'postgres', url: (pgDb as PgTestDatabase).url }) },
];

afterAll(async () => {
  await pgDb?.drop();
});

const T0 = Date.UTC(2026, 0, 1);
const BOOLEANS = new Set(['email_opt_in', 'sms_opt_in', 'whatsapp_opt_in']);

/** A test customer as an import writes it: WRITE_COLUMNS order, 0/1 opt-ins, attributes as JSON. */
function values(c: TestCustomer): CustomerValues {
  const row = { created_at: T0, updated_at: T0, ...c } as Record<string, unknown>;
  return WRITE_COLUMNS.map((col) => (col === 'attributes' ? JSON.stringify(c.attributes ?? {}) : BOOLEANS.has(col) ? (row[col] ? 1 : 0) : (row[col] ?? null)));
}

async function filterOf(where: unknown): Promise<Filter> {
  const resolved = await new SegmentLibrary(memorySource({ s: stringify({ where }) })).resolve('s');
  expect(resolved?.issues).toEqual([]);
  return resolved!.filter!;
}

async function clearCustomers(repos: Repositories): Promise<void> {
  await repos.customers.insert([], { replace: true });
}

describe.each(STORES)('store contract: $name', ({ name, available, open }) => {
  let repos: Repositories;
  beforeAll(async () => {
    if (available) repos = await open();
  });
  afterAll(async () => {
    await repos?.close();
  });

  describe.skipIf(!available)('customers', () => {
    beforeEach(() => clearCustomers(repos));

    it('inserts, counts, looks up and lists in id order, rows in the shape SQLite gives', async () => {
      const r = await repos.customers.insert([
        values({ external_id: 'c1', email: 'ann@example.com', first_name: 'Ann', email_opt_in: true, lifetime_value: 12.5, attributes: { plan: 'pro', n: 3, tags: ['a'] } }),
        values({ external_id: 'c2', email: 'bob@example.com', phone: '+447911123456', sms_opt_in: true, order_count: 4, last_order_at: T0 - 5 }),
        values({ email: 'cy@example.com' }),
      ]);
      expect(r).toEqual({ inserted: 3, deleted: 0 });
      expect(await repos.customers.count()).toBe(3);

      const all = await repos.customers.list(10);
      expect(all.map((c) => c.email)).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com']);
      const ann = all[0]!;
      expect(ann).toMatchObject({ externalId: 'c1', firstName: 'Ann', emailOptIn: 1, smsOptIn: 0, whatsappOptIn: 0, lifetimeValue: 12.5, createdAt: T0, updatedAt: T0, orderCount: null });
      expect(JSON.parse(ann.attributes)).toEqual({ plan: 'pro', n: 3, tags: ['a'] });
      expect(typeof ann.id).toBe('number');

      expect((await repos.customers.by('email', 'bob@example.com'))?.externalId).toBe('c2');
      expect((await repos.customers.by('phone', '+447911123456'))?.smsOptIn).toBe(1);
      expect((await repos.customers.by('externalId', 'c1'))?.id).toBe(ann.id);
      expect((await repos.customers.by('id', ann.id))?.email).toBe('ann@example.com');
      expect(await repos.customers.by('email', 'nobody@example.com')).toBeUndefined();
      expect((await repos.customers.list(1, 1)).map((c) => c.externalId)).toEqual(['c2']);
    });

    it('customers show/export give the attributes in one defined order, the same on both stores (not jsonb\'s)', async () => {
      // written in this order; jsonb would keep shorter keys first (b, mid, zeta, alpha), SQLite the text as written
      const attributes = { zeta: 1, alpha: { y: 2, x: [{ q: 1, p: 2 }] }, mid: 'm', b: true };
      await repos.customers.insert([values({ external_id: 'k1', email: 'kay@example.com', attributes })]);
      const shown = await findCustomer(repos.customers, 'k1');
      expect(JSON.stringify(shown?.attributes)).toBe('{"alpha":{"x":[{"p":2,"q":1}],"y":2},"b":true,"mid":"m","zeta":1}');
    });

    it('skips customers whose external id is stored, and replace starts over', async () => {
      await repos.customers.insert([values({ external_id: 'a' }), values({ external_id: 'b' })]);
      expect(await repos.customers.insert([values({ external_id: 'a' }), values({ external_id: 'c' })])).toEqual({ inserted: 1, deleted: 0 });
      expect(await repos.customers.count()).toBe(3);
      expect(await repos.customers.insert([values({ external_id: 'z' })], { replace: true })).toEqual({ inserted: 1, deleted: 3 });
      expect((await repos.customers.list(10)).map((c) => c.externalId)).toEqual(['z']);
    });

    it('inserts more rows than one statement batch in one go', async () => {
      const many = Array.from({ length: 2_345 }, (_, i) => values({ external_id: `x${i}`, email: `u${i}@example.com` }));
      expect((await repos.customers.insert(many)).inserted).toBe(2_345);
      expect(await repos.customers.count()).toBe(2_345);
    });
  });

  describe.skipIf(!available)('segments', () => {
    const now = new Date(NOW);

    it('counts a segment', async () => {
      await clearCustomers(repos);
      await repos.customers.insert([
        values({ country: 'DE', email_opt_in: true, attributes: { plan: 'pro', score: 10 } }),
        values({ country: 'de', attributes: { plan: 'Pro', score: '10' } }),
        values({ country: 'AT', email_opt_in: true, attributes: { plan: null } }),
      ]);
      expect(await repos.segments.count(await filterOf({ country: 'DE' }), now)).toBe(1);
      expect(await repos.segments.count(await filterOf({ country: { starts_with: 'd' } }), now)).toBe(2);
      expect(await repos.segments.count(await filterOf({ 'attributes.score': { gte: 10 } }), now)).toBe(1);
      expect(await repos.segments.count(await filterOf({ 'attributes.plan': { exists: true } }), now)).toBe(2);
      expect(await repos.segments.count(await filterOf({ not: { 'attributes.plan': { eq: 'pro' } } }), now)).toBe(2);
      expect(await repos.segments.count(await filterOf({ all: [{ email_opt_in: true }, { country: { in: ['AT', 'DE'] } }] }), now)).toBe(2);
    });

    it('breaks a count down by a field in the same keys (booleans 0/1, dates by UTC month, attributes as json_extract reads them)', async () => {
      await repos.customers.insert(
        [
          values({ country: 'DE', email_opt_in: true, last_order_at: Date.UTC(2025, 11, 31, 23, 59), attributes: { plan: 'pro', n: 2, flag: true, o: { a: 1 } } }),
          values({ country: 'DE', last_order_at: Date.UTC(2026, 0, 1), attributes: { plan: 'free', n: 2.5, flag: false, z: null } }),
          values({ country: 'AT', attributes: { plan: 'pro', n: '2' } }),
        ],
        { replace: true },
      );
      const all = await filterOf({ all: [] });
      const by = async (name: string) => {
        const field = fieldOption(name, '--by');
        // summed by key as countSegment does: a number and a string that print alike are one key
        const out: Record<string, number> = {};
        for (const r of await repos.segments.breakdown(all, now, field)) out[String(r.k)] = (out[String(r.k)] ?? 0) + r.n;
        return out;
      };
      expect(await by('country')).toEqual({ DE: 2, AT: 1 });
      expect(await by('email_opt_in')).toEqual({ 0: 2, 1: 1 });
      expect(await by('last_order_at')).toEqual({ '2025-12': 1, '2026-01': 1, null: 1 });
      expect(await by('attributes.plan')).toEqual({ pro: 2, free: 1 });
      expect(await by('attributes.flag')).toEqual({ 1: 1, 0: 1, null: 1 });
      expect(await by('attributes.n')).toEqual({ 2: 2, 2.5: 1 });
      expect(await by('attributes.o')).toEqual({ '{"a":1}': 1, null: 2 });
      expect(await by('attributes.z')).toEqual({ null: 3 });
    });

    it('selects exactly the customers the plain evaluator accepts (oracle), for random customers and filters', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(customer, { maxLength: 25 }), condition(false), condition(true), async (customers, base, main) => {
          await repos.customers.insert(customers.map(values), { replace: true });
          const library = new SegmentLibrary(memorySource({ base: stringify({ where: base }), main: stringify({ where: main }) }));
          const resolved = await library.resolve('main');
          expect(resolved?.issues).toEqual([]);
          const filter = resolved!.filter!;
          const oracle = (await repos.customers.list(1_000)).map(toRecord).filter((c) => matches(filter, c, now)).map((c) => c.id);
          expect(await repos.segments.ids(filter, now)).toEqual(oracle);
          expect(await repos.segments.count(filter, now)).toBe(oracle.length);
        }),
        { numRuns: name === 'postgres' ? 150 : 100 },
      );
    });
  });

  describe.skipIf(!available)('suppressions', () => {
    it('adds once (the first reason stays), gets, lists oldest first, matches a batch, lifts', async () => {
      const s = repos.suppressions;
      for (const row of await s.list()) await s.lift(row.channel, row.address);
      expect(await s.add({ channel: 'email', address: 'a@example.com', reason: 'bounced', source: 'feedback' }, T0 + 2)).toBe(true);
      expect(await s.add({ channel: 'email', address: 'a@example.com', reason: 'manual', source: 'cli' }, T0 + 3)).toBe(false);
      expect(await s.add({ channel: 'sms', address: '+447911123456', reason: 'stop_keyword', source: 'serve', note: 'STOP' }, T0 + 1)).toBe(true);
      expect(await s.add({ channel: 'email', address: 'b@example.com', reason: 'manual', source: 'cli' }, T0 + 1)).toBe(true);

      expect(await s.get('email', 'a@example.com')).toEqual({ channel: 'email', address: 'a@example.com', reason: 'bounced', source: 'feedback', note: null, created_at: T0 + 2 });
      expect(await s.get('sms', 'a@example.com')).toBeUndefined();
      expect((await s.list('email')).map((r) => r.address)).toEqual(['b@example.com', 'a@example.com']);
      expect((await s.list()).map((r) => `${r.channel}:${r.address}`)).toEqual(['email:b@example.com', 'email:a@example.com', 'sms:+447911123456']);

      expect(await s.matching('email', ['a@example.com', 'c@example.com', '+447911123456', 'b@example.com'])).toEqual(new Set(['a@example.com', 'b@example.com']));
      expect(await s.matching('sms', ['+447911123456'])).toEqual(new Set(['+447911123456']));
      expect(await s.matching('email', [])).toEqual(new Set());

      expect(await s.lift('email', 'a@example.com')).toBe(true);
      expect(await s.lift('email', 'a@example.com')).toBe(false);
      expect(await s.get('email', 'a@example.com')).toBeUndefined();
    });
  });

  describe.skipIf(!available)('campaigns', () => {
    it('creates drafts, gets by name, lists in id order, updates the typed fields, and finds due campaigns', async () => {
      const c = repos.campaigns;
      const base = { channel: 'email' as const, segment: 'everyone', provider: 'outbox', template: 'spring' };
      const a = await c.create({ ...base, name: 'camp-a', throttle: '5/s', settings: { distribution: 'sticky' } }, T0);
      const b = await c.create({ ...base, name: 'camp-b', scheduleAt: T0 + 10 }, T0 + 1);
      const p = await c.create({ ...base, name: 'camp-p' }, T0 + 2);
      expect(a).toMatchObject({ name: 'camp-a', state: 'draft', throttle: '5/s', settings: { distribution: 'sticky' }, plan: null, pause: null, scheduleAt: null, createdAt: T0, updatedAt: T0 });
      expect(typeof a.id).toBe('number');
      expect(await c.get('camp-a')).toEqual(a);
      expect(await c.get('nope')).toBeUndefined();
      expect((await c.list()).map((x) => x.name)).toEqual(['camp-a', 'camp-b', 'camp-p']);

      const plan = { campaign: 'camp-a', matched: 3, excluded: { no_consent: 1 }, recipients: 2, added: 2, senders: { s1: 2 }, estimate: { messages: 2, duration_s: 1, rate_per_s: 5 }, plan_hash: 'abc', prepared_at: new Date(T0).toISOString() };
      await c.update(a.id, { state: 'prepared', plan, planHash: 'abc', preparedAt: T0 + 5 }, T0 + 5);
      expect(await c.get('camp-a')).toMatchObject({ state: 'prepared', plan, planHash: 'abc', preparedAt: T0 + 5, updatedAt: T0 + 5 });
      await c.update(p.id, { state: 'paused', pause: { code: 'fatal:AccountSuspended', message: 'the account is suspended' } }, T0 + 6);
      expect((await c.get('camp-p'))?.pause).toEqual({ code: 'fatal:AccountSuspended', message: 'the account is suspended' });

      // unscheduled paused first (as SQLite orders NULL), then by schedule; not yet due: none of b
      expect((await c.due(T0 + 9)).map((x) => x.name)).toEqual(['camp-p']);
      expect((await c.due(T0 + 10)).map((x) => x.name)).toEqual(['camp-p', 'camp-b']);
      await c.update(b.id, { state: 'completed' }, T0 + 11);
      expect((await c.due(T0 + 20)).map((x) => x.name)).toEqual(['camp-p']);
    });

    it('redefines a definition, deletes drafts only, and leaves archived campaigns out of list({ archived: false })', async () => {
      const c = repos.campaigns;
      const base = { channel: 'sms' as const, segment: 'everyone', provider: 'outbox-sms', template: 'hello' };
      const d = await c.create({ ...base, name: 'def-d' }, T0);
      const k = await c.create({ ...base, name: 'def-k' }, T0);
      await c.redefine(d.id, { segment: 'vip', throttle: '2/s', scheduleAt: T0 + 100, settings: { distribution: 'sticky', concurrency: 4 } }, T0 + 1);
      expect(await c.get('def-d')).toMatchObject({ segment: 'vip', throttle: '2/s', scheduleAt: T0 + 100, settings: { distribution: 'sticky', concurrency: 4 }, state: 'draft', updatedAt: T0 + 1 });
      await c.update(k.id, { state: 'completed', archivedAt: T0 + 2 }, T0 + 2);
      expect(await c.deleteDraft(k.id)).toBe(false);
      const visible = (await c.list({ archived: false })).map((x) => x.name);
      expect(visible).toContain('def-d');
      expect(visible).not.toContain('def-k');
      expect((await c.list()).map((x) => x.name)).toContain('def-k');
      expect(await c.deleteDraft(d.id)).toBe(true);
      expect(await c.get('def-d')).toBeUndefined();
    });
  });

  describe.skipIf(!available)('prepare: the send list', () => {
    let campaignNo = 0;
    const newCampaign = (channel: Channel) =>
      repos.campaigns.create({ name: `prep-${++campaignNo}`, channel, segment: 's', provider: 'p', template: 't' }, T0);
    // the frozen list in ledger order, read back through the report's rows (every recipient row, ledger order)
    const listOf = async (id: number) => {
      const out: Array<[number, string]> = [];
      for await (const r of repos.results.rows(id)) out.push([r.customer_id, r.address]);
      return out;
    };
    const reset = async (customers: TestCustomer[], suppressed: Array<[Channel, string]>) => {
      await repos.customers.insert(customers.map(values), { replace: true });
      for (const row of await repos.suppressions.list()) await repos.suppressions.lift(row.channel, row.address);
      for (const [channel, address] of suppressed) await repos.suppressions.add({ channel, address, reason: 'manual', source: 'cli' }, T0);
    };
    // the plan hash's definition (src/db/list-hash.ts), written out again: seed, then `<id> NUL <address> LF` per row in ledger order
    const listHashOf = (seed: string, list: Array<[number, string]>) =>
      createHash('sha256')
        .update(seed + list.map(([id, a]) => `${id}\u0000${a}\n`).join(''))
        .digest('hex');
    // a portable extra rule: a bound value, and a quoted '?' that must stay a literal on PostgreSQL
    const VIP: ExclusionRule = { status: 'vip', sql: { text: `(c.lifetime_value > ? AND {addr} <> '?')`, params: [500] } };

    it('excludes no consent, suppressed, invalid and duplicate addresses and the extra rules; the same list on both stores', async () => {
      await reset(
        [
          { email: 'ann@example.com', email_opt_in: true, lifetime_value: 10 }, // 1 ok
          { email: 'bob@example.com', email_opt_in: false }, // 2 no consent
          { email: 'cy@example.com', email_opt_in: true }, // 3 suppressed
          { email: 'not-an-email', email_opt_in: true }, // 4 invalid
          { email: 'ann@example.com', email_opt_in: true }, // 5 duplicate of 1
          { email: null, email_opt_in: true }, // 6 invalid (none)
          { email: 'rich@example.com', email_opt_in: true, lifetime_value: 900 }, // 7 the extra rule
          { email: 'a b@example.com', email_opt_in: true }, // 8 invalid (space)
          { email: 'dee@example.com', email_opt_in: true, country: 'AT' }, // 9 ok, outside the segment below
        ],
        [['email', 'cy@example.com'], ['sms', 'ann@example.com']],
      );
      const ids = (await repos.customers.list(100)).map((c) => c.id);
      const c = await newCampaign('email');
      const filter = await filterOf({ not: { country: 'AT' } });
      const q = { campaignId: c.id, channel: 'email' as const, filter, now: T0, exclusions: [VIP] };
      const r = await repos.audience.prepare({ ...q, refresh: false });
      expect(r).toEqual({
        counts: { matched: 8, eligible: 1, excluded: { no_consent: 1, suppressed: 1, invalid_address: 3, duplicate_address: 1, vip: 1 } },
        added: 1,
        recipients: 1,
      });
      expect(await listOf(c.id)).toEqual([[ids[0], 'ann@example.com']]);
      // compliance's frequency-cap rule is SQL both stores run (nobody has had a message yet)
      const capped = await repos.audience.prepare({ ...q, exclusions: [frequencyCapRule(c.id, 'email', T0 - 86_400_000, 1)], refresh: false });
      expect(capped.counts.excluded).toMatchObject({ suppressed: 1 });
      expect(capped.counts.excluded.frequency_cap ?? 0).toBe(0);
      expect(capped.recipients).toBe(2);
      // the same again replaces the list (nothing doubles); the drift is none
      expect((await repos.audience.prepare({ ...q, refresh: false })).recipients).toBe(1);
      expect(await repos.audience.drift(q)).toEqual({ frozen: 1, now: 1, joined: 0, left: 0 });

      // a newcomer: drift sees it, refresh adds only it, and the pending count comes back
      const wider = { ...q, filter: await filterOf({ all: [] }) };
      expect(await repos.audience.drift(wider)).toEqual({ frozen: 1, now: 2, joined: 1, left: 0 });
      expect(await repos.audience.prepare({ ...wider, refresh: true })).toMatchObject({ added: 1, recipients: 2, pending: 2 });
      expect(await listOf(c.id)).toEqual([[ids[0], 'ann@example.com'], [ids[8], 'dee@example.com']]);
      expect((await repos.audience.prepare({ ...wider, refresh: true })).added).toBe(0);

      // pre-flight's sample: the pending rows with their customers once prepared, else the live audience
      const sampled: string[] = [];
      for await (const row of repos.audience.sample({ campaignId: c.id, channel: 'email', prepared: true, filter: undefined, now: T0 })) {
        expect(row.customer.email).toBe(row.address);
        expect(typeof row.customer.emailOptIn).toBe('number');
        sampled.push(row.address);
      }
      expect(sampled).toEqual(['ann@example.com', 'dee@example.com']);
      const live: string[] = [];
      for await (const row of repos.audience.sample({ campaignId: c.id, channel: 'email', prepared: false, filter, now: T0 })) live.push(row.address);
      expect(live).toEqual(['ann@example.com', 'not-an-email', 'ann@example.com', 'rich@example.com', 'a b@example.com']);

      expect(await repos.reports.counts(c.id)).toEqual({ pending: 2, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: 0 });
      expect(await repos.reports.bySender(c.id)).toEqual({});
      expect(await repos.reports.errors(c.id)).toEqual([]);
      expect(await repos.reports.sendTimes(c.id)).toEqual({ first: null, last: null, sent: 0 });
      expect(await repos.reports.delivery(c.id)).toEqual({});
    });

    it('the plan hash: the same list gives the same hash on both stores (full prepare, refresh, unicode, an empty list)', async () => {
      await reset(
        [
          { email: 'zoë@exämple.com', email_opt_in: true }, // 1
          { email: 'ann@example.com', email_opt_in: true }, // 2
          { email: 'zoë@exämple.com', email_opt_in: true }, // 3 duplicate of 1
          { email: 'later@example.com', email_opt_in: true, country: 'AT' }, // 4 only in the wider segment
        ],
        [],
      );
      const ids = (await repos.customers.list(100)).map((c) => c.id);
      const c = await newCampaign('email');
      const seed = '{"name":"hash","channel":"email"}';
      const q = { campaignId: c.id, channel: 'email' as const, filter: await filterOf({ not: { country: 'AT' } }), now: T0, exclusions: [], hashSeed: seed };
      const full = await repos.audience.prepare({ ...q, refresh: false });
      const list: Array<[number, string]> = [
        [ids[0]!, 'zoë@exämple.com'],
        [ids[1]!, 'ann@example.com'],
      ];
      expect(await listOf(c.id)).toEqual(list);
      expect(full.listHash).toBe(listHashOf(seed, list));
      const refreshed = await repos.audience.prepare({ ...q, filter: await filterOf({ all: [] }), refresh: true });
      expect(refreshed.added).toBe(1);
      expect(refreshed.listHash).toBe(listHashOf(seed, [...list, [ids[3]!, 'later@example.com']]));
      // nobody matches: the hash of the seed alone
      const none = await repos.audience.prepare({ ...q, filter: await filterOf({ country: 'FR' }), refresh: false });
      expect(none).toMatchObject({ added: 0, recipients: 0, listHash: listHashOf(seed, []) });
      // without a seed, no hash is computed
      const { hashSeed: _seed, ...unseeded } = q;
      expect((await repos.audience.prepare({ ...unseeded, refresh: false })).listHash).toBeUndefined();
    });

    it('phones: the E.164 shape rule and the channel consent (sms, whatsapp)', async () => {
      await reset(
        [
          { phone: '+4915112345678', sms_opt_in: true, whatsapp_opt_in: false },
          { phone: '+0123456789', sms_opt_in: true },
          { phone: '12345678', sms_opt_in: true },
          { phone: '+123456', sms_opt_in: true },
          { phone: '+1234567', sms_opt_in: true, whatsapp_opt_in: true },
          { phone: '+1234567890123456', sms_opt_in: true },
          { phone: '+44 7911 123456', sms_opt_in: true },
        ],
        [],
      );
      const ids = (await repos.customers.list(100)).map((c) => c.id);
      const all = await filterOf({ all: [] });
      const sms = await newCampaign('sms');
      const r = await repos.audience.prepare({ campaignId: sms.id, channel: 'sms', filter: all, now: T0, exclusions: [], refresh: false });
      expect(r.counts.excluded.invalid_address).toBe(5);
      expect(await listOf(sms.id)).toEqual([[ids[0], '+4915112345678'], [ids[4], '+1234567']]);
      const wa = await newCampaign('whatsapp');
      const w = await repos.audience.prepare({ campaignId: wa.id, channel: 'whatsapp', filter: all, now: T0, exclusions: [], refresh: false });
      expect(w.counts.excluded).toMatchObject({ invalid_address: 5, no_consent: 1 });
      expect(await listOf(wa.id)).toEqual([[ids[4], '+1234567']]);
    });

    it('excludes an address erased on request (customers forget) as forgotten: the hash of src/util/address-hash.ts on both stores', async () => {
      // addresses of their own: forgotten_addresses is never emptied, and the other cases share this store
      await reset(
        [
          { email: 'gone@example.com', phone: '+4915199999901', email_opt_in: true, sms_opt_in: true }, // 1 erased email and phone
          { email: 'stays@example.com', phone: '+4915199999902', email_opt_in: true, sms_opt_in: true }, // 2 ok
          { email: 'Gone@example.com', email_opt_in: true }, // 3 another address (the hash is of the exact canonical form)
        ],
        [],
      );
      expect(await repos.forgotten.keep('email', 'gone@example.com', T0)).toBe(true);
      expect(await repos.forgotten.keep('email', 'gone@example.com', T0 + 1)).toBe(false);
      expect(await repos.forgotten.keep('phone', '+4915199999901', T0)).toBe(true);
      const ids = (await repos.customers.list(100)).map((c) => c.id);
      const all = await filterOf({ all: [] });
      const email = await newCampaign('email');
      const r = await repos.audience.prepare({ campaignId: email.id, channel: 'email', filter: all, now: T0, exclusions: [], refresh: false });
      expect(r).toEqual({
        counts: { matched: 3, eligible: 2, excluded: { no_consent: 0, suppressed: 0, invalid_address: 0, duplicate_address: 0, forgotten: 1 } },
        added: 2,
        recipients: 2,
      });
      expect(await listOf(email.id)).toEqual([[ids[1], 'stays@example.com'], [ids[2], 'Gone@example.com']]);
      // the number is kept as kind phone: SMS (and WhatsApp) leave the person out too
      const sms = await newCampaign('sms');
      const s = await repos.audience.prepare({ campaignId: sms.id, channel: 'sms', filter: all, now: T0, exclusions: [], refresh: false });
      expect(s.counts.excluded.forgotten).toBe(1);
      expect(await listOf(sms.id)).toEqual([[ids[1], '+4915199999902']]);
      // a refresh does not bring them back, and drift does not count them as joining
      expect((await repos.audience.prepare({ campaignId: email.id, channel: 'email', filter: all, now: T0, exclusions: [], refresh: true })).added).toBe(0);
      expect(await repos.audience.drift({ campaignId: email.id, channel: 'email', filter: all, now: T0, exclusions: [] })).toEqual({ frozen: 2, now: 2, joined: 0, left: 0 });
    });

    it('a full prepare refuses to replace the list of a campaign that has started sending (checked under the prepare lock); a refresh still adds', async () => {
      await reset([{ email: 'first@example.com', email_opt_in: true }], []);
      const c = await newCampaign('email');
      const all = await filterOf({ all: [] });
      const q = { campaignId: c.id, channel: 'email' as const, filter: all, now: T0, exclusions: [] };
      expect((await repos.audience.prepare({ ...q, refresh: false })).recipients).toBe(1);
      // what a send does before its first claim; a second run that read the row as a draft earlier must not start over
      await repos.campaigns.update(c.id, { state: 'sending', startedAt: T0 + 1 }, T0 + 1);
      await repos.customers.insert([values({ email: 'second@example.com', email_opt_in: true })]);
      await expect(repos.audience.prepare({ ...q, refresh: false })).rejects.toMatchObject({ code: 'campaign_started' });
      expect((await listOf(c.id)).map(([, a]) => a)).toEqual(['first@example.com']);
      expect(await repos.audience.prepare({ ...q, refresh: true })).toMatchObject({ added: 1, recipients: 2 });
    });

    it('the forgotten hash is the same function on both stores for any address (unicode included)', async () => {
      // local parts from the whole of Unicode (no space, no @): the SQL hash must match addressHash byte for byte
      const local = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((x) => !/[\s@]/.test(x));
      let n = 0;
      await fc.assert(
        fc.asyncProperty(local, async (part) => {
          const gone = `fc${++n}-${part}@example.com`;
          await reset([{ email: gone, email_opt_in: true }, { email: `fc${n}-control@example.com`, email_opt_in: true }], []);
          await repos.forgotten.keep('email', gone, T0);
          const c = await newCampaign('email');
          const r = await repos.audience.prepare({ campaignId: c.id, channel: 'email', filter: await filterOf({ all: [] }), now: T0, exclusions: [], refresh: false });
          expect(r.counts.excluded.forgotten).toBe(1);
          expect((await listOf(c.id)).map(([, a]) => a)).toEqual([`fc${n}-control@example.com`]);
        }),
        { numRuns: 25 },
      );
    });

    it('freezes exactly what the plain rules give (oracle), for random customers, suppressions and segments', async () => {
      const addresses = ['a@example.com', 'b@example.com', 'c@example.org', 'bad', '', 'x y@example.com'];
      const audienceCustomer = fc.record({
        email: fc.option(fc.constantFrom(...addresses), { nil: null }),
        email_opt_in: fc.boolean(),
        lifetime_value: fc.option(fc.constantFrom(0, 100, 600), { nil: null }),
        country: fc.option(fc.constantFrom('DE', 'AT'), { nil: null }),
      });
      const validEmail = (a: string) => /^[\s\S]+@[\s\S]+\.[\s\S]+$/.test(a) && !a.includes(' ');
      await fc.assert(
        fc.asyncProperty(fc.array(audienceCustomer, { maxLength: 20 }), fc.subarray(addresses), condition(false), fc.boolean(), async (customers, suppressed, where, vip) => {
          await reset(customers, suppressed.map((a) => ['email', a] as [Channel, string]));
          const filter = await filterOf(where);
          const c = await newCampaign('email');
          const seed = `{"name":"oracle-${c.id}"}`;
          const r = await repos.audience.prepare({ campaignId: c.id, channel: 'email', filter, now: NOW, exclusions: vip ? [VIP] : [], refresh: false, hashSeed: seed });
          const stored = (await repos.customers.list(1_000)).map(toRecord).filter((x) => matches(filter, x, new Date(NOW)));
          const statusOf = (x: (typeof stored)[number]) =>
            !x.email || !validEmail(x.email) ? 'invalid_address' : !x.email_opt_in ? 'no_consent' : suppressed.includes(x.email) ? 'suppressed' : vip && (x.lifetime_value ?? 0) > 500 ? 'vip' : 'ok';
          const first = new Map<string, number>();
          for (const x of stored) if (statusOf(x) === 'ok' && !first.has(x.email!)) first.set(x.email!, x.id);
          const expected = [...first].map(([a, id]) => [id, a]).sort((p, q) => (p[0] as number) - (q[0] as number));
          expect(await listOf(c.id)).toEqual(expected);
          expect(r.counts.matched).toBe(stored.length);
          expect(r.recipients).toBe(expected.length);
          // every exclusion counted as the first rule that applies, duplicates as the eligible rows left out
          const excluded: Record<string, number> = { no_consent: 0, suppressed: 0, invalid_address: 0, duplicate_address: 0 };
          for (const x of stored) if (statusOf(x) !== 'ok') excluded[statusOf(x)] = (excluded[statusOf(x)] ?? 0) + 1;
          excluded.duplicate_address = stored.filter((x) => statusOf(x) === 'ok').length - expected.length;
          expect(r.counts).toEqual({ matched: stored.length, eligible: expected.length, excluded });
          expect(r.listHash).toBe(listHashOf(seed, expected as Array<[number, string]>));
        }),
        { numRuns: name === 'postgres' ? 60 : 100 },
      );
    });
  });

  describe.skipIf(!available)('migrations', () => {
    it('are applied on open, and migrating again is a no-op', async () => {
      const first = await repos.migrate();
      expect(first.total).toBeGreaterThan(0);
      expect(await repos.migrate()).toEqual({ applied: 0, total: first.total });
    });
  });
});
