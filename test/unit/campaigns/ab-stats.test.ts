/**
 * The A/B z-test against independent textbook values (an oracle not derived from the code).
 * - Normal table: Φ(1.96) = 0.9750, Φ(1) = 0.8413, Φ(−1.645) = 0.0500.
 * - OpenStax Introductory Statistics, 10.3 (two population proportions), example: cell-phone
 *   plans, 20 of 200 (A) against 12 of 200 (B): pooled p = 0.08, z = 1.47, p-value = 0.1404:
 *   not significant at 5%.
 * - Penn State STAT 415 style example: 60 of 100 against 40 of 100: z = 2.83, p = 0.0047.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalCdf, twoProportionZ } from '../../../src/campaigns/ab-stats.js';

describe('two-proportion z-test', () => {
  it('the normal CDF matches the table', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 4);
    expect(normalCdf(1)).toBeCloseTo(0.8413, 4);
    expect(normalCdf(-1.645)).toBeCloseTo(0.05, 4);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });

  it('20/200 vs 12/200: z 1.47, p 0.14, not significant (OpenStax 10.3)', () => {
    const t = twoProportionZ({ successes: 20, trials: 200 }, { successes: 12, trials: 200 });
    expect(t.z).toBeCloseTo(1.474, 3);
    expect(t.p).toBeCloseTo(0.1404, 3);
    expect(t.significant).toBe(false);
  });

  it('60/100 vs 40/100: z 2.83, p 0.0047, significant', () => {
    const t = twoProportionZ({ successes: 60, trials: 100 }, { successes: 40, trials: 100 });
    expect(t.z).toBeCloseTo(2.828, 3);
    expect(t.p).toBeCloseTo(0.0047, 4);
    expect(t.significant).toBe(true);
  });

  it('nothing to compare is never significant', () => {
    expect(twoProportionZ({ successes: 0, trials: 0 }, { successes: 3, trials: 10 })).toEqual({ z: 0, p: 1, significant: false });
    expect(twoProportionZ({ successes: 0, trials: 10 }, { successes: 0, trials: 10 }).significant).toBe(false);
  });

  it('swapping the variants flips z and keeps p', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.integer({ min: 1, max: 500 }), fc.nat(500), fc.integer({ min: 1, max: 500 }), (s1, n1, s2, n2) => {
        const a = { successes: Math.min(s1, n1), trials: n1 };
        const b = { successes: Math.min(s2, n2), trials: n2 };
        const x = twoProportionZ(a, b);
        const y = twoProportionZ(b, a);
        expect(x.z).toBeCloseTo(-y.z, 9);
        expect(x.p).toBeCloseTo(y.p, 9);
        expect(x.p).toBeGreaterThanOrEqual(0);
        expect(x.p).toBeLessThanOrEqual(1);
      }),
    );
  });
});
