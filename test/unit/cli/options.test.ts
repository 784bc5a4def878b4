/** The shared flag parsers: decimal digits within bounds, nothing else (what Number() would take is not enough). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalFlag, intFlag } from '../../../src/cli/options.js';
import { tryParseRate } from '../../../src/util/rate.js';

describe('intFlag', () => {
  const parse = intFlag(1, 10_000_000);
  it('accepts exactly the decimal integers within its bounds', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => {
      expect(parse(String(n))).toBe(n);
    }));
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -1e9, max: 0 }), fc.integer({ min: 10_000_001, max: Number.MAX_SAFE_INTEGER })), (n) => {
      expect(() => parse(String(n))).toThrow(/whole number from 1 to 10,000,000/);
    }));
  });
  it('refuses every other spelling Number() would take', () => {
    for (const v of ['1e3', '0x10', '0b1', '0o7', '+5', '5.0', ' 5', '5 ', '', '12345678901234567890', 'Infinity', '1_000', '٣']) expect(() => parse(v), v).toThrow();
    fc.assert(fc.property(fc.string(), (s) => {
      fc.pre(!/^[0-9]+$/.test(s));
      expect(() => parse(s)).toThrow();
    }));
  });
});

describe('decimalFlag and rates', () => {
  it('amounts are plain decimals within bounds', () => {
    const parse = decimalFlag(0, 100);
    expect(parse('12.5')).toBe(12.5);
    expect(parse('0')).toBe(0);
    for (const v of ['1e1', '-1', '100.01', '.5', '5.', '0x1', '']) expect(() => parse(v), v).toThrow();
  });
  it('rates are above 0 and at most 100,000/s, without exponents', () => {
    expect(tryParseRate('50/s')?.perSecond).toBe(50);
    expect(tryParseRate('600/m')?.perSecond).toBe(10);
    expect(tryParseRate('100000/s')?.perSecond).toBe(100_000);
    for (const v of ['0/s', '1e3/s', '100001/s', '-5/s', '0x10/s', '9999999999/s', 'fast']) expect(tryParseRate(v), v).toBeUndefined();
  });
});
