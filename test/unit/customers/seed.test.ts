import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/db/open.js';
import { seedCustomers } from '../../../src/customers/seed.js';
import { normaliseEmail } from '../../../src/customers/normalise.js';
import { COUNTRIES } from '../../../src/customers/seed-data.js';
import { mulberry32 } from '../../../src/util/prng.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const stores: Store[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

function seeded(count: number, seed = 1, now = NOW): Array<Record<string, unknown>> {
  const store = openStore(':memory:');
  stores.push(store);
  seedCustomers(store, { count, seed, now });
  return store.sqlite.prepare('SELECT * FROM customers ORDER BY id').all() as Array<Record<string, unknown>>;
}

describe('seedCustomers', () => {
  it('is deterministic: same seed, count and clock give identical rows; a larger count extends a smaller one', () => {
    const a = seeded(300);
    expect(seeded(300)).toEqual(a);
    expect(seeded(500).slice(0, 300)).toEqual(a);
    expect(seeded(300, 2)).not.toEqual(a);
  });

  it('re-running with the same seed adds nothing; --replace starts over', () => {
    const store = openStore(':memory:');
    stores.push(store);
    expect(seedCustomers(store, { count: 50, seed: 1, now: NOW })).toEqual({ seed: 1, count: 50, inserted: 50, skipped: 0, deleted: 0 });
    expect(seedCustomers(store, { count: 80, seed: 1, now: NOW })).toEqual({ seed: 1, count: 80, inserted: 30, skipped: 50, deleted: 0 });
    expect(seedCustomers(store, { count: 10, seed: 3, now: NOW, replace: true })).toEqual({ seed: 3, count: 10, inserted: 10, skipped: 0, deleted: 80 });
  });

  it('looks like a real customer base', () => {
    const rows = seeded(5000);
    const profiles = new Map(COUNTRIES.map((c) => [c.code, c]));
    const countries = new Set(rows.map((r) => r.country));
    expect(countries.size).toBeGreaterThanOrEqual(10);
    for (const r of rows) {
      const p = profiles.get(r.country as string)!;
      expect(p.zones.map(([z]) => z)).toContain(r.timezone);
      expect(p.locales.map(([l]) => l)).toContain(r.locale);
      expect(r.email ?? r.phone).not.toBeNull();
      if (r.email) expect(normaliseEmail(r.email as string)).toBe(r.email);
      if (r.phone) {
        const phone = parsePhoneNumberFromString(r.phone as string)!;
        expect(phone.number).toBe(r.phone);
        expect(phone.country).toBe(r.country);
        expect(['MOBILE', 'FIXED_LINE_OR_MOBILE']).toContain(phone.getType());
      } else {
        expect(r.sms_opt_in).toBe(0);
        expect(r.whatsapp_opt_in).toBe(0);
      }
      if (!r.email) expect(r.email_opt_in).toBe(0);
      expect(r.created_at as number).toBeLessThanOrEqual((r.last_order_at as number | null) ?? NOW.getTime());
      if (r.last_order_at !== null) expect(NOW.getTime() - (r.last_order_at as number)).toBeLessThan(731 * DAY);
      expect(['free', 'pro', 'enterprise']).toContain(JSON.parse(r.attributes as string).plan);
    }
    // unique addresses within one seed
    const phones = rows.flatMap((r) => (r.phone ? [r.phone] : []));
    expect(new Set(phones).size).toBe(phones.length);
    const emails = rows.flatMap((r) => (r.email ? [r.email] : []));
    expect(new Set(emails).size).toBe(emails.length);
    // some phone-only, a few email-only, partial consent
    const share = (f: (r: Record<string, unknown>) => boolean) => rows.filter(f).length / rows.length;
    expect(share((r) => !r.email)).toBeGreaterThan(0.1);
    expect(share((r) => !r.phone)).toBeGreaterThan(0.02);
    expect(share((r) => !r.phone)).toBeLessThan(0.1);
    expect(share((r) => r.email_opt_in === 1)).toBeGreaterThan(0.3);
    expect(share((r) => r.email_opt_in === 1)).toBeLessThan(0.8);
    // a long tail: the top 1% holds far more than 1% of lifetime value
    const ltv = rows.map((r) => r.lifetime_value as number).sort((a, b) => b - a);
    const total = ltv.reduce((a, b) => a + b, 0);
    expect(ltv.slice(0, 50).reduce((a, b) => a + b, 0) / total).toBeGreaterThan(0.08);
    expect(share((r) => r.order_count === 0)).toBeGreaterThan(0.05);
  });

  it('mulberry32 gives the reference sequence (the demo data depends on it)', () => {
    const r = mulberry32(1);
    expect([r(), r(), r()].map((x) => x.toFixed(8))).toEqual(['0.62707394', '0.00273572', '0.52744704']);
  });
});
