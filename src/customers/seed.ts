/**
 * Deterministic demo customers (`mkt customers seed`, `mkt demo`). Customer i of seed s is drawn
 * from its own generator, so the same seed, count and clock always give identical rows, and a
 * larger count extends a smaller one instead of reshuffling it.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { insertSeedCustomers } from '../db/customers-writer.js';
import type { Store } from '../db/open.js';
import type { CustomerStore } from '../db/repositories.js';
import { Random, mixSeed } from '../util/prng.js';
import { phoneLibrary } from './address.js';
import { COUNTRIES, EMAIL_DOMAINS, PLANS, SOURCES, type CountryProfile } from './seed-data.js';

export interface SeedOptions {
  count: number;
  seed: number;
  /** Reference time: created/updated times and the spread of last orders are relative to it. */
  now: Date;
  /** Delete all customers first. */
  replace?: boolean;
}

export interface SeedResult {
  seed: number;
  count: number;
  /** Customers added; the rest already existed from an earlier run with the same seed. */
  inserted: number;
  skipped: number;
  /** Customers deleted first (`replace`). */
  deleted: number;
}

const DAY = 86_400_000;

/**
 * Mobile numbers for one country: the country's example mobile number with its last `digits`
 * digits replaced. `digits` is the largest width for which sampled numbers all validate as
 * mobile (checked once per process), so generating a number is only string work.
 */
interface PhonePlan {
  prefix: string; // '+49151'
  digits: number;
}

const plans = new Map<string, PhonePlan>();

function phonePlan(country: string): PhonePlan {
  let plan = plans.get(country);
  if (plan) return plan;
  const example = phoneLibrary().getExampleNumber(country as CountryCode, examples)!;
  const e164 = example.number;
  plan = { prefix: e164, digits: 0 };
  for (const digits of [7, 6, 5, 4, 3]) {
    const prefix = e164.slice(0, e164.length - digits);
    const rnd = Random.of(mixSeed(digits, e164.length));
    let ok = true;
    for (let k = 0; k < 200 && ok; k++) {
      const candidate = prefix + String(rnd.int(0, 10 ** digits - 1)).padStart(digits, '0');
      const type = phoneLibrary().parsePhoneNumberFromString(candidate)?.getType();
      ok = type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
    }
    if (ok) {
      plan = { prefix, digits };
      break;
    }
  }
  plans.set(country, plan);
  return plan;
}

/**
 * Customer i's number: a per-seed offset plus i·37 within the country's free digits. 37 is
 * coprime to 10, so distinct customers get distinct numbers (up to 10^digits of them), and the
 * numbers grow with i, which keeps inserts into the phone index near its end (random keys made
 * seeding a million customers twice as slow).
 */
function phoneFor(country: string, i: number, seed: number): string {
  const { prefix, digits } = phonePlan(country);
  if (digits === 0) return prefix;
  const mod = 10 ** digits;
  const n = ((mixSeed(seed, 7) % mod) + ((i * 37) % mod)) % mod;
  return prefix + String(n).padStart(digits, '0');
}

/** ASCII for email local parts: `Jürgen Müller` → `jurgen.muller`. */
function ascii(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const countryWeights = COUNTRIES.map((c) => [c, c.weight] as const);

/** One demo customer as the values of the insert statement, in `WRITE_COLUMNS` order (src/db/customers-writer.ts). */
function customer(i: number, seed: number, now: number): unknown[] {
  const r = Random.of(mixSeed(seed, i));
  const c: CountryProfile = r.weighted(countryWeights);
  const first = r.pick(c.first);
  const last = r.pick(c.last);
  // 78% email and phone, 17% phone only, 5% email only
  const contact = r.next();
  const hasEmail = contact < 0.78 || contact >= 0.95;
  const hasPhone = contact < 0.95;
  const email = hasEmail ? `${ascii(first)}.${ascii(last)}${i}@${r.pick(EMAIL_DOMAINS)}` : null;
  const phone = hasPhone ? phoneFor(c.code, i, seed) : null;

  // Long tail: 15% never ordered; the rest log-normal around ~120 with a heavy right tail.
  const ordered = r.chance(0.85);
  const ltv = ordered ? Math.round(Math.exp(4.8 + 1.1 * r.normal()) * 100) / 100 : 0;
  const orders = ordered ? Math.max(1, Math.round(ltv / (35 + r.next() * 60))) : 0;
  // recent orders are more common than old ones: squared uniform over ~2 years
  const lastOrder = ordered ? now - Math.floor(r.next() ** 2 * 730 * DAY) - r.int(0, DAY - 1) : null;
  const created = (lastOrder ?? now) - Math.floor(r.next() * 900 * DAY);

  const attributes = JSON.stringify({ plan: r.weighted(PLANS), source: r.weighted(SOURCES) });
  return [
    `seed-${seed}-${i}`,
    email,
    phone,
    first,
    last,
    c.code,
    r.weighted(c.zones),
    r.weighted(c.locales),
    ltv,
    orders,
    lastOrder,
    created,
    hasEmail && r.chance(0.65) ? 1 : 0,
    hasPhone && r.chance(0.4) ? 1 : 0,
    hasPhone && r.chance(0.25) ? 1 : 0,
    attributes,
    now,
  ];
}

/**
 * Adds `count` demo customers (external ids `seed-<seed>-<i>`) in one transaction. Customers
 * that already exist from an earlier run with the same seed are skipped, so seeding twice is
 * harmless; `replace` deletes every customer first.
 */
export function seedCustomers(store: Store, options: SeedOptions): SeedResult {
  const { inserted, deleted } = insertSeedCustomers(store, seedRows(options), options.replace ?? false);
  return { seed: options.seed, count: options.count, inserted, skipped: options.count - inserted, deleted };
}

/** seedCustomers into a store of either kind (SQLite or PostgreSQL), through its repository. */
export async function seedCustomersInto(customers: Pick<CustomerStore, 'insert'>, options: SeedOptions): Promise<SeedResult> {
  const { inserted, deleted } = await customers.insert(seedRows(options), { replace: options.replace ?? false });
  return { seed: options.seed, count: options.count, inserted, skipped: options.count - inserted, deleted };
}

function* seedRows({ count, seed, now }: SeedOptions): Generator<unknown[]> {
  const at = now.getTime();
  for (let i = 1; i <= count; i++) yield customer(i, seed, at);
}
