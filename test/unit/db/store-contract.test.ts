/**
 * The store contract suite: the same cases against every store, as the provider contract suite
 * runs every provider. SQLite always runs (in memory, real migrations); PostgreSQL runs against
 * the server of scripts/pg-test-setup.sh, in a database of its own (see test/support/pg.ts).
 * A new repository gets its cases here, once, for both stores.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { toRecord } from '../../../src/customers/record.js';
import { openRepositories } from '../../../src/db/connect.js';
import { WRITE_COLUMNS, type CustomerValues } from '../../../src/db/customers-writer.js';
import type { Filter } from '../../../src/db/filter.js';
import type { Repositories } from '../../../src/db/repositories.js';
import { matches } from '../../../src/segments/evaluate.js';
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
    const filterOf = async (where: unknown): Promise<Filter> => {
      const resolved = await new SegmentLibrary(memorySource({ s: stringify({ where }) })).resolve('s');
      expect(resolved?.issues).toEqual([]);
      return resolved!.filter!;
    };

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
  });

  describe.skipIf(!available)('migrations', () => {
    it('are applied on open, and migrating again is a no-op', async () => {
      const first = await repos.migrate();
      expect(first.total).toBeGreaterThan(0);
      expect(await repos.migrate()).toEqual({ applied: 0, total: first.total });
    });
  });
});
