import { InputError } from '../errors.js';

/** A send rate such as `50/s`, `600/m` or `10000/h`, kept as messages per second. */
export interface Rate {
  perSecond: number;
  /** As the user wrote it, for display. */
  text: string;
}

const UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** No account sends faster; a larger number is a typo (or `1e12` read loosely). */
export const MAX_RATE_PER_SECOND = 100_000;

/**
 * Parses `N/unit` (unit s, m, h, d) or a bare number (per second); N is decimal digits with an
 * optional fraction (at most 9 and 6 digits). Returns undefined when malformed, zero, or above
 * MAX_RATE_PER_SECOND.
 */
export function tryParseRate(text: string): Rate | undefined {
  const m = /^\s*(\d{1,9}(?:\.\d{1,6})?)\s*(?:\/\s*(s|sec|m|min|h|d))?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const perSecond = n / UNITS[m[2] ?? 's']!;
  if (!(perSecond > 0) || perSecond > MAX_RATE_PER_SECOND) return undefined;
  return { perSecond, text: text.trim() };
}

export function parseRate(text: string, where = 'rate'): Rate {
  const rate = tryParseRate(text);
  if (!rate) throw new InputError('bad_rate', `${where}: "${text}" is not a rate`, { hint: 'write it like 50/s, 600/m or 10000/h' });
  return rate;
}
