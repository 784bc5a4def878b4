/**
 * The pace of a run (src/campaigns/pace.ts): the provider's rate and the senders' summed rates
 * are a ceiling; a throttle only lowers the pace, and asking for more is capped and told.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveRate, paceOf } from '../../../src/campaigns/pace.js';

const perSecond = (r: number | undefined) => (r === undefined ? undefined : `${r}/s`);

describe('paceOf', () => {
  it('the issue’s case: --throttle 500/s on a provider of rate: 20/s sends at 20/s and says so', () => {
    const p = paceOf({ throttle: '500/s', throttleSource: '--throttle', providerName: 'tw', providerRate: '20/s', senderRates: [undefined, undefined] });
    expect(p.ratePerSec).toBe(20);
    expect(p.capped).toMatchObject({ code: 'throttle_capped', requested: 500, ceiling: 20 });
    expect(p.capped!.message).toBe(`--throttle 500/s is above provider "tw"'s rate: 20/s (the account's quota): sending at 20/s`);
  });

  it('the senders’ summed rates cap too, and the warning names them', () => {
    const p = paceOf({ throttle: '100/s', throttleSource: '--throttle', providerName: 'tw', providerRate: '50/s', senderRates: ['5/s', '600/m'] });
    expect(p.ratePerSec).toBe(15);
    expect(p.capped!.message).toContain(`the sum of provider "tw"'s sender rates, 15/s`);
  });

  it('a throttle at or below the ceiling is the pace, with no warning; no throttle means the ceiling', () => {
    expect(paceOf({ throttle: '20/s', providerRate: '20/s', senderRates: [] })).toEqual({ ratePerSec: 20 });
    expect(paceOf({ throttle: '600/m', providerRate: '20/s', senderRates: [] })).toEqual({ ratePerSec: 10 });
    expect(paceOf({ providerRate: '20/s', senderRates: ['1/s', '2/s'] })).toEqual({ ratePerSec: 3 });
    expect(paceOf({ throttle: '500/s', senderRates: [undefined] })).toEqual({ ratePerSec: 500 }); // no ceiling known
    expect(paceOf({ senderRates: [] })).toEqual({ ratePerSec: undefined });
  });

  it('pace = min(throttle, provider rate, sum of sender rates when every sender has one); capped exactly when the throttle is above the rest (property)', () => {
    const rate = fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined });
    fc.assert(
      fc.property(rate, rate, fc.array(rate, { maxLength: 4 }), (throttle, provider, senders) => {
        const input = { throttle: perSecond(throttle), providerRate: perSecond(provider), senderRates: senders.map(perSecond) };
        const sum = senders.length > 0 && senders.every((s) => s !== undefined) ? senders.reduce((a, b) => a + b, 0) : undefined;
        const ceiling = [provider, sum].filter((x): x is number => x !== undefined);
        const want = [throttle, ...ceiling].filter((x): x is number => x !== undefined);
        const p = paceOf(input);
        expect(p.ratePerSec).toBe(want.length ? Math.min(...want) : undefined);
        expect(effectiveRate(input)).toBe(p.ratePerSec);
        expect(p.capped !== undefined).toBe(throttle !== undefined && ceiling.length > 0 && throttle > Math.min(...ceiling));
        if (p.ratePerSec !== undefined && provider !== undefined) expect(p.ratePerSec).toBeLessThanOrEqual(provider);
      }),
    );
  });
});
