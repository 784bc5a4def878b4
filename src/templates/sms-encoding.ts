/**
 * SMS encoding and segment counting exactly as carriers count them (provider-facts.md §6):
 * GSM-7 when every character is in the GSM 03.38 basic or extension table, else the whole
 * message is UCS-2. GSM-7: 160 septets single, 153 per part, extension characters cost two.
 * UCS-2: 70 UTF-16 units single, 67 per part. An ESC pair or a surrogate pair is never split
 * across parts, so a part may end one unit short and that can cost an extra segment.
 */

/** GSM 03.38 basic table (one septet each), without ESC itself. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: ESC + code, two septets each. */
const GSM_EXTENSION = '^{}\\[]~|€\f';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsInfo {
  encoding: SmsEncoding;
  segments: number;
  /** Characters as a person counts them: Unicode code points. */
  characters: number;
  /** Encoded size: septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  /** The distinct characters that are not GSM-7, in order of first appearance (empty for GSM-7). */
  nonGsm: string[];
}

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

export function isGsmChar(ch: string): boolean {
  return BASIC.has(ch) || EXTENSION.has(ch);
}

/** Septets one GSM-7 character costs, or UTF-16 units one code point costs in UCS-2. */
function unitCost(ch: string, encoding: SmsEncoding): number {
  if (encoding === 'UCS-2') return ch.length; // 2 for an astral code point (surrogate pair)
  return EXTENSION.has(ch) ? 2 : 1;
}

/** Packs indivisible characters into parts of `size` units; returns the number of parts. */
function countParts(chars: string[], encoding: SmsEncoding, size: number): number {
  let parts = 1;
  let used = 0;
  for (const ch of chars) {
    const cost = unitCost(ch, encoding);
    if (used + cost > size) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}

export function smsInfo(text: string): SmsInfo {
  const chars = Array.from(text); // code points: a surrogate pair stays one element
  const nonGsm: string[] = [];
  for (const ch of chars) if (!isGsmChar(ch) && !nonGsm.includes(ch)) nonGsm.push(ch);
  const encoding: SmsEncoding = nonGsm.length === 0 ? 'GSM-7' : 'UCS-2';
  let units = 0;
  for (const ch of chars) units += unitCost(ch, encoding);
  const limit = LIMITS[encoding];
  const segments = units === 0 ? 0 : units <= limit.single ? 1 : countParts(chars, encoding, limit.part);
  return { encoding, segments, characters: chars.length, units, nonGsm };
}

/** "U+2019 ’" — how validation names a character that forces UCS-2. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(ch).slice(1, -1)}`;
}
