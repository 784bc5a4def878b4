/**
 * Reading the literal values a segment compares against: ISO dates and relative spans.
 * Pure functions; the parser turns their `undefined` into a positioned error.
 */

const DAY_MS = 86_400_000;

/** `2024-05-01`, `2024-05-01T10:00`, `2024-05-01T10:00:00.5Z`, `…+02:00`. A time without an offset is UTC. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface ParsedDate {
  /** the instant, epoch ms (a date-only value: that day's 00:00 UTC) */
  ms: number;
  /** true for a bare date: the value stands for the whole UTC day */
  dateOnly: boolean;
}

export function parseIsoDate(text: string): ParsedDate | undefined {
  const m = ISO_DATE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const base = Date.UTC(year, month - 1, day);
  // reject 2024-02-30 and friends rather than letting Date roll them over
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  if (h === undefined) return { ms: base, dateOnly: true };
  const hours = Number(h);
  const minutes = Number(mi);
  const seconds = s === undefined ? 0 : Number(s);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  return { ms: base + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - offsetMin * 60_000, dateOnly: false };
}

/** The first instant after a value: the next day's start for a bare date, else the next millisecond. */
export function endOf(date: ParsedDate): number {
  return date.dateOnly ? date.ms + DAY_MS : date.ms + 1;
}

const SPAN = /^(\d{1,6})\s*(m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/** `90d`, `12h`, `6w`, `30m` → milliseconds; undefined when malformed or zero. */
export function parseSpan(text: string): number | undefined {
  const m = SPAN.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n * UNIT_MS[m[2]!]! : undefined;
}

export const SPAN_HELP = 'a span such as 90d, 12h, 6w or 30m (m minutes, h hours, d days, w weeks)';
export const DATE_HELP = 'an ISO 8601 date such as 2024-05-01 or 2024-05-01T12:00:00Z';
