import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsmChar, smsInfo } from '../../../src/templates/sms-encoding.js';

const a = (n: number) => 'a'.repeat(n);
const zh = (n: number) => 'ж'.repeat(n);

describe('smsInfo: the docs/provider-facts.md §6 table, row by row', () => {
  it.each([
    ['160 × a', a(160), 'GSM-7', 160, 1],
    ['161 × a', a(161), 'GSM-7', 161, 2],
    ['306 × a', a(306), 'GSM-7', 306, 2],
    ['307 × a', a(307), 'GSM-7', 307, 3],
    ['152 × a + { + 152 × a (ESC pair never split)', a(152) + '{' + a(152), 'GSM-7', 306, 3],
    ['80 × {', '{'.repeat(80), 'GSM-7', 160, 1],
    ['81 × {', '{'.repeat(81), 'GSM-7', 162, 2],
    ['70 × ж', zh(70), 'UCS-2', 70, 1],
    ['71 × ж', zh(71), 'UCS-2', 71, 2],
    ['134 × ж', zh(134), 'UCS-2', 134, 2],
    ['135 × ж', zh(135), 'UCS-2', 135, 3],
    ['66 × ж + 😀 + 66 × ж (surrogate pair never split)', zh(66) + '😀' + zh(66), 'UCS-2', 134, 3],
    ['35 × 😀', '😀'.repeat(35), 'UCS-2', 70, 1],
    ['36 × 😀', '😀'.repeat(36), 'UCS-2', 72, 2],
    ['’abc', '’abc', 'UCS-2', 4, 1],
  ])('%s', (_label, text, encoding, units, segments) => {
    const info = smsInfo(text);
    expect(info.encoding).toBe(encoding);
    expect(info.units).toBe(units);
    expect(info.segments).toBe(segments);
  });

  it('names the characters that force UCS-2, once each, in order', () => {
    expect(smsInfo('It’s “great” ’').nonGsm).toEqual(['’', '“', '”']);
    expect(smsInfo('plain text').nonGsm).toEqual([]);
  });

  it('counts characters as code points (an emoji is one character, two UCS-2 units)', () => {
    const info = smsInfo('hi 😀');
    expect(info.characters).toBe(4);
    expect(info.units).toBe(5);
  });

  it('knows the alphabet: basic, extension and the usual traps', () => {
    for (const ch of '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[]~|€\f') expect(isGsmChar(ch)).toBe(true);
    for (const ch of ['`', '’', '“', '”', 'ç', 'á', 'í', 'ó', 'ú', 'â', 'ê', '😀', '\t', '\u001b']) expect(isGsmChar(ch)).toBe(false);
    expect(smsInfo('€').units).toBe(2);
    expect(smsInfo('\f').units).toBe(2);
  });

  it('an empty text is zero segments', () => {
    expect(smsInfo('').segments).toBe(0);
  });
});

const gsmBasic = fc.constantFrom(...'abcXYZ0189 .,!?@£$_ÄÖÜäöüàèé\n'.split(''));
const gsmAny = fc.constantFrom(...'abc 01.,@£^{}\\[]~|€'.split(''));
const nonGsm = fc.constantFrom('’', 'ж', 'ç', '😀', '🇬🇧', '`');

describe('smsInfo properties', () => {
  it('GSM-7 basic text of length n ≤ 160 is one segment; 161..306 is two', () => {
    fc.assert(
      fc.property(fc.array(gsmBasic, { minLength: 1, maxLength: 306 }), (chars) => {
        const info = smsInfo(chars.join(''));
        expect(info.encoding).toBe('GSM-7');
        expect(info.segments).toBe(chars.length <= 160 ? 1 : 2);
      }),
    );
  });

  it('UCS-2 if and only if some character is not GSM-7', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(gsmAny, nonGsm), { maxLength: 200 }), (chars) => {
        const text = chars.join('');
        expect(smsInfo(text).encoding === 'UCS-2').toBe(Array.from(text).some((c) => !isGsmChar(c)));
      }),
    );
  });

  it('segments never decrease when a character is appended', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(gsmAny, nonGsm), { maxLength: 400 }), fc.oneof(gsmAny, nonGsm), (chars, extra) => {
        const text = chars.join('');
        expect(smsInfo(text + extra).segments).toBeGreaterThanOrEqual(smsInfo(text).segments);
      }),
    );
  });

  it('parts always fit: segments × part size covers the units, and never one part more than needed plus the split slack', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(gsmAny, nonGsm), { minLength: 1, maxLength: 600 }), (chars) => {
        const info = smsInfo(chars.join(''));
        const [single, part] = info.encoding === 'GSM-7' ? [160, 153] : [70, 67];
        if (info.units <= single) expect(info.segments).toBe(1);
        else {
          expect(info.segments * part).toBeGreaterThanOrEqual(info.units);
          // each part loses at most one unit to an unsplittable pair
          expect(info.segments).toBeLessThanOrEqual(Math.ceil(info.units / (part - 1)));
        }
      }),
    );
  });
});
