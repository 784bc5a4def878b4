/**
 * Normalisation of customer contact data: the one place that decides what an email address,
 * a phone number, a consent flag, a date or a decimal looks like once it is in the store.
 * Import, suppressions, segments and sending all compare addresses in this form, so they must
 * all come through here.
 *
 * Every function is pure and returns `undefined` for input it cannot use (never throws), so
 * callers decide whether that is a warning, a reject or an error. Every function is idempotent:
 * normalising a normalised value returns it unchanged.
 */
// Email addresses, phone numbers and countries: one canonical rule in address.ts, re-exported
// so the rest of normalisation reads from one place.
export { checkAddress, checkEmail, checkPhone, normaliseAddress, normaliseCountry, normaliseEmail, normalisePhone } from './address.js';

const CONSENT_TRUE = new Set(['true', 'yes', 'y', '1']);
const CONSENT_FALSE = new Set(['false', 'no', 'n', '0', '']);

/**
 * Reads a consent flag: true/false, yes/no, y/n, 1/0 in any case (and real booleans and the
 * numbers 1/0). Empty or absent means **no consent** (false). Anything else is `undefined`:
 * the caller warns and must treat it as no consent.
 */
export function parseConsent(raw: unknown): boolean | undefined {
  if (raw === undefined || raw === null) return false;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw === 1 ? true : raw === 0 ? false : undefined;
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim().toLowerCase();
  if (CONSENT_TRUE.has(v)) return true;
  if (CONSENT_FALSE.has(v)) return false;
  return undefined;
}

// YYYY-MM-DD, optionally followed by THH:MM[:SS[.fraction]] and Z or ±HH[:]MM
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds. A date alone is midnight UTC; a
 * date-time without an offset is read as UTC (files rarely say, and the store is UTC).
 * Impossible dates (2024-02-30, 25:00) are `undefined` rather than silently rolled over.
 */
export function parseIsoDate(raw: string): number | undefined {
  const text = raw.trim();
  // a date alone (YYYY-MM-DD): a customer file repeats a few thousand of them a million times
  if (text.length !== 10) return readIsoDate(text);
  if (dateCache.has(text)) return dateCache.get(text);
  const t = readIsoDate(text);
  if (dateCache.size < 10_000) dateCache.set(text, t);
  return t;
}

const dateCache = new Map<string, number | undefined>();

function readIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Number((frac + '000').slice(0, 3));
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  // 2024-02-30 rolls over into March: a different day back means the date did not exist
  if (date.getUTCDate() !== day) return undefined;
  const local = date.getTime();
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return local - offsetMin * 60_000;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Parses a decimal written with `.` (`1234.50`, `-3`, `.5`); a `,` or thousands separators are `undefined`. */
export function parseDecimal(raw: string): number | undefined {
  const v = raw.trim();
  if (!DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A whole number from 0 (`12`, `12.0` is not accepted: counts are written as integers). */
export function parseCount(raw: string): number | undefined {
  const v = raw.trim();
  if (!/^\+?\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

const timeZoneCache = new Map<string, string | undefined>();

/**
 * An IANA time zone name in its canonical spelling (`europe/berlin` → `Europe/Berlin`), or
 * undefined when the runtime does not know it.
 */
export function normaliseTimeZone(raw: string): string | undefined {
  const v = raw.trim();
  if (v.length === 0 || v.length > 64) return undefined;
  if (timeZoneCache.has(v)) return timeZoneCache.get(v);
  let zone: string | undefined;
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone;
  } catch {
    zone = undefined;
  }
  // a malicious file with a million distinct junk values must not grow the cache without bound
  if (timeZoneCache.size < 10_000) timeZoneCache.set(v, zone);
  return zone;
}

/** A BCP 47 locale in canonical form (`de_de` → `de-DE`), or undefined. */
export function normaliseLocale(raw: string): string | undefined {
  const v = raw.trim().replace(/_/g, '-');
  if (v.length === 0 || v.length > 35) return undefined;
  try {
    const [canonical] = Intl.getCanonicalLocales(v);
    return canonical;
  } catch {
    return undefined;
  }
}
