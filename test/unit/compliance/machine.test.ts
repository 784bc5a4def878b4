/**
 * The machine rules for tracked hits: HEAD, scanner user agents, early clicks (mkt's clock),
 * sweeps over every link within a second, and mailbox image proxies for opens.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, SweepDetector, userAgentClass } from '../../../src/compliance/machine.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const base = { kind: 'click' as const, head: false, ua: 'browser' as const, at: 100_000, deliveredAt: 0, windowMs: 10_000 };

describe('userAgentClass', () => {
  it.each([
    [CHROME, 'browser'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko BingPreview/1.0b', 'scanner'],
    ['Barracuda Sentinel (EE)', 'scanner'],
    ['python-requests/2.31.0', 'scanner'],
    ['Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', 'mail_proxy'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'apple_mail'],
    [undefined, 'none'],
    ['node', 'other'],
  ])('%s → %s', (ua, cls) => expect(userAgentClass(ua)).toBe(cls));
});

describe('classify', () => {
  it('a browser click long after delivery is human', () => expect(classify(base)).toEqual({ machine: false }));
  it('HEAD is machine whatever else', () => expect(classify({ ...base, head: true })).toEqual({ machine: true, reason: 'head' }));
  it('a scanner user agent is machine', () => expect(classify({ ...base, ua: 'scanner' })).toEqual({ machine: true, reason: 'scanner_ua' }));
  it('a mailbox proxy open is machine; a proxy click is not judged by that', () => {
    expect(classify({ ...base, kind: 'open', ua: 'mail_proxy' })).toEqual({ machine: true, reason: 'mail_proxy' });
    expect(classify({ ...base, kind: 'open', ua: 'apple_mail' })).toEqual({ machine: true, reason: 'mail_proxy' });
    expect(classify({ ...base, ua: 'mail_proxy' })).toEqual({ machine: false });
  });
  it('within the window after delivery is machine, exactly up to the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 60_000 }), (delay, windowMs) => {
        expect(classify({ ...base, at: 1_000_000 + delay, deliveredAt: 1_000_000, windowMs }).machine).toBe(delay < windowMs);
      }),
    );
  });
  it('a sweep is machine', () => expect(classify({ ...base, sweep: true })).toEqual({ machine: true, reason: 'all_links' }));
});

describe('SweepDetector', () => {
  it('flags the click that completes every link within a second, not a slower reader', () => {
    const d = new SweepDetector();
    expect([d.click('r1', 1, 0, 3), d.click('r1', 2, 300, 3), d.click('r1', 3, 600, 3)].map((c) => c.sweep)).toEqual([false, false, true]);
    expect([d.click('r2', 1, 0, 3), d.click('r2', 2, 700, 3), d.click('r2', 3, 1500, 3)].map((c) => c.sweep)).toEqual([false, false, false]);
    // one link only: a single click is never a sweep
    expect(d.click('r3', 1, 0, 1).sweep).toBe(false);
  });
});
