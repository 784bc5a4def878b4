import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveRate } from '../../../src/dispatch/adaptive-rate.js';
import { SenderPool } from '../../../src/dispatch/sender-pool.js';
import { TokenBucket } from '../../../src/dispatch/token-bucket.js';

describe('token bucket', () => {
  it('never lets more than rate·T + burst through in any window of T seconds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 400 }), (rate, steps) => {
        let t = 0;
        const burst = Math.max(1, Math.ceil(rate / 100));
        const b = new TokenBucket(rate, burst, () => t);
        const taken: number[] = [];
        for (const dt of steps) {
          t += dt;
          while (b.tryTake()) taken.push(t);
        }
        for (let i = 0, j = 0; i < taken.length; i++) {
          while (taken[i]! - taken[j]! >= 1000) j++;
          expect(i - j + 1).toBeLessThanOrEqual(rate + burst);
        }
      }),
    );
  });

  it('starts nearly empty: no burst of a whole second at start', () => {
    const b = new TokenBucket(100, 1, () => 0);
    let n = 0;
    while (b.tryTake()) n++;
    expect(n).toBe(1);
  });
});

describe('adaptive rate', () => {
  it('cuts at most once a second and recovers gradually to the target', () => {
    let t = 0;
    const a = new AdaptiveRate(100, () => t);
    expect(a.onThrottle()).toBe(75);
    expect(a.onThrottle()).toBe(75); // same moment: no compounding
    t += 1000;
    expect(a.onThrottle()).toBeCloseTo(71.25); // recovered to 95 first, then cut
    t += 1000;
    expect(a.rate).toBeCloseTo(91.25);
    t += 5000;
    expect(a.rate).toBe(100);
  });
});

describe('sender pool', () => {
  it('splits exactly by weight over a full cycle (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 20 }), (weights, cycles) => {
        const pool = new SenderPool(weights.map((w, i) => ({ id: `s${i}`, weight: w })), 'round-robin', () => 0);
        const total = weights.reduce((a, b) => a + b, 0);
        const counts = new Map<string, number>();
        for (let i = 0; i < total * cycles; i++) {
          const p = pool.take('x');
          if (!('sender' in p)) throw new Error('no sender');
          counts.set(p.sender, (counts.get(p.sender) ?? 0) + 1);
        }
        weights.forEach((w, i) => expect(counts.get(`s${i}`)).toBe(w * cycles));
      }),
    );
  });

  it('sticky: a recipient always gets the same sender, and the split follows the weights', () => {
    const senders = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ];
    const pool = new SenderPool(senders, 'sticky', () => 0);
    const again = new SenderPool(senders, 'sticky', () => 0);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 4000; i++) {
      const to = `+49151${i}`;
      const p = pool.take(to);
      const q = again.take(to);
      if (!('sender' in p) || !('sender' in q)) throw new Error('no sender');
      expect(q.sender).toBe(p.sender);
      counts[p.sender]!++;
    }
    expect(counts.b! / counts.a!).toBeGreaterThan(2.6);
    expect(counts.b! / counts.a!).toBeLessThan(3.4);
  });

  it('plans the split by largest remainder, summing to the total', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 100000 }), (weights, n) => {
        const split = SenderPool.plannedSplit(weights.map((w, i) => ({ id: `s${i}`, weight: w })), n);
        expect(Object.values(split).reduce((a, b) => a + b, 0)).toBe(n);
      }),
    );
  });

  it('a capped sender drops out and the others carry on; all capped = exhausted', () => {
    const pool = new SenderPool([{ id: 'a', weight: 1, dailyCap: 2 }, { id: 'b', weight: 1, dailyCap: 3 }], 'round-robin', () => 0);
    const got = Array.from({ length: 6 }, () => pool.take('x'));
    expect(got.slice(0, 5).map((p) => ('sender' in p ? p.sender : '-')).sort()).toEqual(['a', 'a', 'b', 'b', 'b']);
    expect(got[5]).toEqual({ exhausted: true });
  });
});
