/**
 * SMS encoding and segment counting exactly as carriers count them (docs/provider-facts.md §6):
 * GSM-7 when every character is in the GSM 03.38 basic or extension table, else the whole
 * message is UCS-2. GSM-7: 160 septets single, 153 per part, extension characters cost two.
 * UCS-2: 70 UTF-16 units single, 67 per part. A part never ends inside a user-perceived character
 * (a grapheme cluster: an emoji with a skin tone, a flag, a ZWJ sequence, a letter with combining
 * marks), nor inside an ESC pair or a surrogate pair, so a part may end short and that can cost an
 * extra segment. This is how Twilio packs (its calculator `sms-segments-calculator` is the oracle
 * of test/unit/templates/sms-segments-oracle.test.ts), with two deliberate differences, both of
 * which can only count more segments, never fewer:
 * - clusters come from Intl.Segmenter (the Unicode of Node's ICU), while the calculator uses
 *   grapheme-splitter 1.0.4 (Unicode 10, 2017), which cuts newer sequences such as ❤️‍🔥 or an
 *   Indic conjunct (क्ष) in two. A phone shows them as one character, so mkt keeps them whole.
 * - a cluster larger than a whole part (a letter under dozens of combining marks) cannot be kept
 *   whole; the calculator then reports a part over 140 octets, which cannot be sent. mkt cuts such
 *   a cluster between code points, as a carrier must.
 * CR LF is two clusters here, as in the calculator: two plain characters on the wire.
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

/** One instance for the process: building a segmenter costs far more than using one. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The cost of each indivisible piece of the text, in order (see the header for what is one). */
function pieceCosts(chars: string[], text: string, encoding: SmsEncoding, size: number): number[] {
  const costOf = (s: string): number => {
    let n = 0;
    for (const ch of s) n += unitCost(ch, encoding);
    return n;
  };
  // Every GSM-7 character is one code point that no other joins (the table holds no combining
  // mark, ZWJ or modifier), so only UCS-2 text has clusters longer than one character.
  if (encoding === 'GSM-7') return chars.map((ch) => unitCost(ch, encoding));
  const costs: number[] = [];
  for (const { segment } of graphemes.segment(text)) {
    const cost = costOf(segment);
    if (segment === '\r\n') costs.push(1, 1);
    else if (cost <= size) costs.push(cost);
    else for (const ch of segment) costs.push(unitCost(ch, encoding)); // too big for any part
  }
  return costs;
}

/** Packs indivisible pieces greedily into parts of `size` units; returns the number of parts. */
function countParts(costs: number[], size: number): number {
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
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
  // Clusters matter only once the text is split, so a single-part message never segments.
  const segments = units === 0 ? 0 : units <= limit.single ? 1 : countParts(pieceCosts(chars, text, encoding, limit.part), limit.part);
  return { encoding, segments, characters: chars.length, units, nonGsm };
}

/** "U+2019 ’" — how validation names a character that forces UCS-2. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(ch).slice(1, -1)}`;
}
