import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../../src/util/bloom.js';

describe('BloomFilter', () => {
  it('never says "not added" for a string it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 300 }), fc.integer({ min: 1, max: 1 << 14 }), (texts, bits) => {
        const bloom = new BloomFilter(bits);
        for (const t of texts) bloom.add(t);
        for (const t of texts) expect(bloom.mayHave(t)).toBe(true);
      }),
    );
  });

  it('with 10 bits per string, answers "maybe" for few strings it was not given', () => {
    const bloom = new BloomFilter(10 * 10_000);
    for (let i = 0; i < 10_000; i++) bloom.add(`e:customer${i}@example.com`);
    let maybe = 0;
    for (let i = 10_000; i < 20_000; i++) if (bloom.mayHave(`e:customer${i}@example.com`)) maybe++;
    expect(maybe).toBeLessThan(500); // ~1-2% expected
  });
});
