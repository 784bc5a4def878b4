import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import {
  normaliseCountry,
  normaliseEmail,
  normaliseLocale,
  normalisePhone,
  normaliseTimeZone,
  parseConsent,
  parseCount,
  parseDecimal,
  parseIsoDate,
} from '../../../src/customers/normalise.js';

describe('normaliseEmail', () => {
  it.each([
    ['  Alice@Example.COM ', 'alice@example.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ['o\'brien@example.ie', "o'brien@example.ie"],
    ['jürgen@müller.de', 'jürgen@xn--mller-kva.de'],
  ])('%j → %j', (raw, expected) => expect(normaliseEmail(raw)).toBe(expected));

  it.each(['', '   ', 'alice', 'alice@', '@example.com', 'a b@example.com', 'a@b', 'a@-b.com', 'a@b-.com', 'a..b@example.com', '.a@example.com', 'a@example..com', 'a@example.c', 'a@@example.com', `${'x'.repeat(65)}@example.com`])(
    '%j is not plausible',
    (raw) => expect(normaliseEmail(raw)).toBeUndefined(),
  );

  it('accepts generated addresses, lower-cased and trimmed, and is idempotent', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.constantFrom('', ' ', '\t'), (email, pad) => {
        const n = normaliseEmail(pad + email.toUpperCase() + pad);
        // fast-check may generate quoted-free but exotic local parts; all it generates is plausible
        expect(n).toBe(email.toLowerCase());
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normaliseEmail(s);
        if (n !== undefined) expect(normaliseEmail(n)).toBe(n);
      }),
    );
  });
});

describe('normalisePhone', () => {
  it.each([
    ['07911 123456', 'GB', '+447911123456'],
    ['020 7183 8750', 'GB', '+442071838750'],
    ['0151 23456789', 'DE', '+4915123456789'],
    ['+49 (151) 234-56789', undefined, '+4915123456789'],
    ['0049 151 23456789', undefined, '+4915123456789'],
    ['whatsapp:+4915123456789', undefined, '+4915123456789'],
    ['WhatsApp: +44 7911 123456', 'DE', '+447911123456'],
    ['(201) 555-0123', 'US', '+12015550123'],
    ['0151 23456789', 'de', '+4915123456789'],
  ])('%j in %s → %s', (raw, country, expected) => expect(normalisePhone(raw, country)).toBe(expected));

  it.each([
    ['', 'DE'],
    ['0151 23456789', undefined], // national number without a country
    ['12', 'DE'],
    ['+49 1', undefined],
    ['not a number', 'DE'],
    ['+1 555', undefined],
    ['33669', 'FR'], // a short code is not E.164
  ])('%j in %s is unusable', (raw, country) => expect(normalisePhone(raw, country)).toBeUndefined());

  it('an unknown country hint is ignored rather than trusted', () => {
    expect(normalisePhone('+4915123456789', 'XX')).toBe('+4915123456789');
    expect(normalisePhone('015123456789', 'XX')).toBeUndefined();
  });

  it('is idempotent and always E.164 (property)', () => {
    const countries = fc.constantFrom('DE', 'GB', 'US', 'FR', 'BR', 'IN', 'JP', 'CH', undefined);
    fc.assert(
      fc.property(fc.stringMatching(/^[+0]?[0-9 ()-]{4,18}$/), countries, (raw, country) => {
        const n = normalisePhone(raw, country);
        if (n === undefined) return;
        expect(n).toMatch(/^\+[1-9]\d{1,14}$/);
        expect(normalisePhone(n)).toBe(n);
        expect(normalisePhone(n, country)).toBe(n);
        expect(normalisePhone('whatsapp:' + n)).toBe(n);
        expect(parsePhoneNumberFromString(n)?.isValid()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseConsent', () => {
  it('reads yes/no words in any case, empty or absent is no consent', () => {
    fc.assert(
      fc.property(fc.constantFrom('true', 'yes', 'y', '1'), fc.constantFrom('false', 'no', 'n', '0'), fc.boolean(), (yes, no, upper) => {
        const c = (s: string) => (upper ? s.toUpperCase() : s);
        expect(parseConsent(c(yes))).toBe(true);
        expect(parseConsent(` ${c(no)} `)).toBe(false);
      }),
    );
    expect(parseConsent('')).toBe(false);
    expect(parseConsent(undefined)).toBe(false);
    expect(parseConsent(null)).toBe(false);
    expect(parseConsent(true)).toBe(true);
    expect(parseConsent(0)).toBe(false);
    expect(parseConsent(1)).toBe(true);
  });

  it.each(['maybe', 'ja', 'on', '2', 'truee', 2, {}, []])('%j is not a consent value', (raw) => expect(parseConsent(raw)).toBeUndefined());
});

describe('parseIsoDate', () => {
  it.each([
    ['2024-05-31', Date.UTC(2024, 4, 31)],
    ['2024-05-31T12:30:00Z', Date.UTC(2024, 4, 31, 12, 30)],
    ['2024-05-31T12:30', Date.UTC(2024, 4, 31, 12, 30)],
    ['2024-05-31 12:30:15.250', Date.UTC(2024, 4, 31, 12, 30, 15, 250)],
    ['2024-05-31T14:30:00+02:00', Date.UTC(2024, 4, 31, 12, 30)],
    ['2024-05-31T07:30:00-0500', Date.UTC(2024, 4, 31, 12, 30)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('%s → epoch ms', (raw, ms) => expect(parseIsoDate(raw)).toBe(ms));

  it.each(['', '31.05.2024', '05/31/2024', '2024-02-30', '2023-02-29', '2024-13-01', '2024-05-31T24:00', '2024-5-31', 'yesterday', '1717156800000'])(
    '%j is not an ISO 8601 date',
    (raw) => expect(parseIsoDate(raw)).toBeUndefined(),
  );

  it('round-trips every toISOString() (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(parseIsoDate(d.toISOString())).toBe(d.getTime());
      }),
    );
  });
});

describe('numbers and reference values', () => {
  it('decimals use "."; a comma or thousands separator is refused', () => {
    expect(parseDecimal('1234.50')).toBe(1234.5);
    expect(parseDecimal(' -3 ')).toBe(-3);
    expect(parseDecimal('.5')).toBe(0.5);
    for (const bad of ['1,5', '1.234,50', '1 000', 'abc', '', '1e3', 'NaN', 'Infinity']) expect(parseDecimal(bad)).toBeUndefined();
    fc.assert(fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 99 }), (a, b) => {
      const text = `${a}.${String(b).padStart(2, '0')}`;
      expect(parseDecimal(text)).toBe(Number(text));
    }));
  });

  it('counts are whole numbers from 0', () => {
    expect(parseCount('12')).toBe(12);
    expect(parseCount('0')).toBe(0);
    for (const bad of ['-1', '1.5', '', 'x', '1e3']) expect(parseCount(bad)).toBeUndefined();
  });

  it('countries, time zones and locales come out canonical, and normalising twice is normalising once', () => {
    expect(normaliseCountry(' de ')).toBe('DE');
    expect(normaliseCountry('XX')).toBeUndefined();
    expect(normaliseCountry('DEU')).toBeUndefined();
    expect(normaliseTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(normaliseTimeZone('Mars/Olympus')).toBeUndefined();
    expect(normaliseLocale('de_de')).toBe('de-DE');
    expect(normaliseLocale('not a locale!')).toBeUndefined();
    for (const [f, v] of [[normaliseCountry, 'gb'], [normaliseTimeZone, 'america/new_york'], [normaliseLocale, 'PT_br']] as const) {
      const once = f(v)!;
      expect(f(once)).toBe(once);
    }
  });
});
