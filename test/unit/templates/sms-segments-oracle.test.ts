/**
 * mkt's SMS segment count against Twilio's own calculator (`sms-segments-calculator`, which packs
 * whole grapheme clusters into 140-octet parts with a 6-octet header once split). Cost estimates
 * and max_segments rest on this count, so any disagreement is a wrong bill or a wrong refusal.
 *
 * The two deliberate differences (src/templates/sms-encoding.ts header) are kept out of the
 * generators and pinned by their own tests below: clusters that the calculator's Unicode 10
 * splitter cuts apart, and clusters larger than a whole part.
 */
import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { describe, expect, it } from 'vitest';
import { smsInfo } from '../../../src/templates/sms-encoding.js';

const oracle = (text: string) => {
  const m = new SegmentedMessage(text, 'auto', false);
  return { encoding: m.encodingName, segments: m.segmentsCount };
};

const gsmBasic = 'aZ0 .,!?@£$_ÄÖÜäöüàèé\nÇΔ§¿'.split('');
const gsmExtension = '€{}^\\[]~|\f'.split('');
const ucs2 = ['ж', '’', '“', 'ç', '中', 'á', '`', '\t'];
const astral = ['😀', '𝔸', '🚀'];
/** Multi-code-point clusters on which Intl.Segmenter and the calculator's splitter agree. */
const clusters = [
  '👍🏽', // skin-tone modifier
  '🇬🇧', // flag: two regional indicators
  '👨‍👩‍👧‍👦', // ZWJ family, 11 UTF-16 units
  '🏳️‍🌈', // ZWJ with a variation selector
  '🧑‍🚀',
  '1️⃣', // keycap: a GSM digit that becomes UCS-2
  'e\u0301', // combining acute on a GSM letter
  'n\u0303\u0323', // two combining marks
  '\u1100\u1161\u11A8', // Hangul syllable from conjoining jamo
  '\r\n', // two clusters in both: plain characters on the wire
];
/** A base letter under 1..6 combining marks (still far smaller than a part). */
const combining = fc
  .tuple(fc.constantFrom('a', 'o', 'ж', 'x'), fc.array(fc.constantFrom('\u0300', '\u0301', '\u0308', '\u0323', '\u0331', '\u036F'), { minLength: 1, maxLength: 6 }))
  .map(([base, marks]) => base + marks.join(''));

const atom = fc.oneof(
  { arbitrary: fc.constantFrom(...gsmBasic), weight: 6 },
  { arbitrary: fc.constantFrom(...gsmExtension), weight: 2 },
  { arbitrary: fc.constantFrom(...ucs2), weight: 1 },
  { arbitrary: fc.constantFrom(...astral), weight: 1 },
  { arbitrary: fc.constantFrom(...clusters), weight: 2 },
  { arbitrary: combining, weight: 1 },
);

/** Part boundaries in units: single 160 / 70, parts of 153 / 67. */
const BOUNDARIES = [67, 70, 134, 153, 160, 201, 306, 459];

/** A filler run whose length sits just around a boundary, with a few atoms dropped into it. */
const nearBoundary = fc
  .record({
    filler: fc.constantFrom('a', 'ж', '€', '😀'),
    boundary: fc.constantFrom(...BOUNDARIES),
    delta: fc.integer({ min: -8, max: 8 }),
    inserts: fc.array(fc.tuple(atom, fc.nat()), { maxLength: 6 }),
  })
  .map(({ filler, boundary, delta, inserts }) => {
    // a two-unit filler (€ in GSM-7, 😀 in UCS-2) needs half as many to reach the boundary
    const n = Math.max(0, Math.round((boundary + delta) / (filler === 'a' || filler === 'ж' ? 1 : 2)));
    const chars: string[] = Array.from({ length: n }, () => filler);
    for (const [a, at] of inserts) chars.splice(at % (chars.length + 1), 0, a);
    return chars.join('');
  });

const expectAgrees = (text: string) => {
  const want = oracle(text);
  const got = smsInfo(text);
  expect({ encoding: got.encoding, segments: got.segments }, JSON.stringify(text)).toEqual(want);
};

describe('smsInfo agrees with Twilio’s segment calculator', () => {
  it('on mixed alphabets of any length up to 5 parts', () => {
    fc.assert(fc.property(fc.array(atom, { minLength: 1, maxLength: 400 }), (atoms) => expectAgrees(atoms.join(''))), { numRuns: 500 });
  });

  it('around the 70/67/160/153 boundaries', () => {
    fc.assert(fc.property(nearBoundary, (text) => expectAgrees(text)), { numRuns: 2000 });
  });

  it('for every cluster at every position near the first part boundary, in texts of two full parts ± 1', () => {
    for (const c of [...clusters, '😀', '€', '{', 'a\u0301\u0308']) {
      for (const filler of ['a', 'ж']) {
        const ucs2 = filler === 'ж' || smsInfo(c).encoding === 'UCS-2';
        const part = ucs2 ? 67 : 153;
        const size = ucs2 ? c.length : smsInfo(c).units;
        for (let n = part - 12; n <= part; n++) {
          for (const slack of [-1, 0, 1]) expectAgrees(filler.repeat(n) + c + filler.repeat(2 * part - n - size + slack));
        }
      }
    }
  });

  it('the case the issue reported: a skin-tone emoji straddling the first UCS-2 part is a third segment', () => {
    // 65 + 4 + 65 = 134 units fits 2 × 67 only if 👍🏽 is cut in two
    const text = 'ж'.repeat(65) + '👍🏽' + 'ж'.repeat(65);
    expect(oracle(text).segments).toBe(3);
    expect(smsInfo(text).segments).toBe(3);
  });
});

describe('where mkt deliberately differs from the calculator, it counts more, never fewer', () => {
  it('a cluster newer than the calculator’s Unicode 10 splitter stays whole (❤️‍🔥, 🫱🏼‍🫲🏿, क्ष)', () => {
    for (const c of ['❤️‍🔥', '🫱🏼‍🫲🏿', 'क्ष']) {
      let differed = false;
      for (let n = 55; n <= 67; n++) {
        // exactly two full parts of units: only a cut inside the cluster makes it fit in two
        const text = 'ж'.repeat(n) + c + 'ж'.repeat(134 - n - c.length);
        const mkt = smsInfo(text).segments;
        const twilio = oracle(text).segments;
        expect(mkt).toBeGreaterThanOrEqual(twilio);
        if (mkt > twilio) differed = true;
      }
      expect(differed, c).toBe(true);
    }
  });

  it('a cluster larger than a part is cut between code points, so every part fits 67 units', () => {
    const huge = 'a' + '\u0301'.repeat(100); // 101 units: no part can hold it
    const text = 'ж'.repeat(10) + huge;
    const info = smsInfo(text);
    expect(info.units).toBe(111);
    expect(info.segments).toBe(2); // 67 + 44, packed by code point
  });
});
