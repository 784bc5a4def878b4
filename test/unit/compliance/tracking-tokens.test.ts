/**
 * Tracked-link tokens cannot be forged, altered or taken from another kind of token: click /
 * open tokens and SMS short codes round-trip, survive key rotation, and anything else is refused.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackingTokens, UnsubscribeTokens } from '../../../src/compliance/tokens.js';

const current = { keyId: 'k2', secret: 'current-secret-0123456789abcdef' };
const old = { keyId: 'k1', secret: 'previous-secret-0123456789abcdef' };
const tokens = new TrackingTokens(current, [old]);
const subject = fc.record({ campaignId: fc.integer({ min: 1, max: 1e9 }), ledgerId: fc.integer({ min: 1, max: 1e12 }), linkId: fc.integer({ min: 1, max: 1e6 }) });

describe('click and open tokens', () => {
  it('round-trip any subject, URL-safe', () => {
    fc.assert(
      fc.property(subject, (s) => {
        const t = tokens.sign(s);
        expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        expect(tokens.verify(t)).toEqual({ keyId: 'k2', ...s });
      }),
    );
    expect(tokens.verify(tokens.sign({ campaignId: 1, ledgerId: 2, linkId: 0 }))).toMatchObject({ linkId: 0 });
  });

  it('signed with a previous key still verify; with an unknown key or secret never', () => {
    const before = new TrackingTokens(old).sign({ campaignId: 5, ledgerId: 6, linkId: 7 });
    expect(tokens.verify(before)).toEqual({ keyId: 'k1', campaignId: 5, ledgerId: 6, linkId: 7 });
    expect(new TrackingTokens(current).verify(before)).toBeUndefined();
    expect(tokens.verify(new TrackingTokens({ keyId: 'k2', secret: randomBytes(16).toString('hex') }).sign({ campaignId: 5, ledgerId: 6, linkId: 7 }))).toBeUndefined();
  });

  it('any single-character change, truncation or extension is refused', () => {
    fc.assert(
      fc.property(subject, fc.nat(), fc.constantFrom(...'ABCabc012-_.=+/ %'), (s, at, ch) => {
        const t = tokens.sign(s);
        const pos = at % t.length;
        const tampered = t.slice(0, pos) + ch + t.slice(pos + 1);
        fc.pre(tampered !== t);
        expect(tokens.verify(tampered)).toBeUndefined();
        expect(tokens.verify(t.slice(0, -1))).toBeUndefined();
        expect(tokens.verify(t + 'A')).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('an unsubscribe token signed with the same key is not a tracking token, nor the other way round', () => {
    const unsub = new UnsubscribeTokens(current);
    const u = unsub.sign({ campaignId: 1, customerId: 2, channel: 'email' });
    expect(tokens.verify(u)).toBeUndefined();
    // the same digits in the payload: only the purpose in the MAC tells them apart
    const sameShape = `${Buffer.from('k2.1.2.3').toString('base64url')}.${u.split('.')[1]}`;
    expect(tokens.verify(sameShape)).toBeUndefined();
    expect(unsub.verify(tokens.sign({ campaignId: 1, ledgerId: 2, linkId: 3 }))).toBeUndefined();
  });
});

describe('SMS short codes', () => {
  it('round-trip, are short, and verify after rotation', () => {
    fc.assert(
      fc.property(subject, (s) => {
        const code = tokens.short(s);
        expect(code).toMatch(/^[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{8}$/);
        expect(tokens.verifyShort(code)).toEqual(s);
      }),
    );
    expect(tokens.short({ campaignId: 12, ledgerId: 1_000_000, linkId: 1 }).length).toBeLessThanOrEqual(20);
    const before = new TrackingTokens(old).short({ campaignId: 5, ledgerId: 6, linkId: 7 });
    expect(tokens.verifyShort(before)).toEqual({ campaignId: 5, ledgerId: 6, linkId: 7 });
    expect(new TrackingTokens(current).verifyShort(before)).toBeUndefined();
  });

  it('refuse 100,000 forgeries and every single-character change', () => {
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) {
      const forged = `${(i % 97) + 1}.${(i + 1).toString(36)}.1.${randomBytes(6).toString('base64url')}`;
      if (tokens.verifyShort(forged) !== undefined) accepted++;
    }
    expect(accepted).toBe(0);
    fc.assert(
      fc.property(subject, fc.nat(), fc.constantFrom(...'0az.-_A='), (s, at, ch) => {
        const code = tokens.short(s);
        const pos = at % code.length;
        const tampered = code.slice(0, pos) + ch + code.slice(pos + 1);
        fc.pre(tampered !== code);
        expect(tokens.verifyShort(tampered)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    expect(tokens.verifyShort(`0.1.1.${'A'.repeat(8)}`)).toBeUndefined();
    expect(tokens.verifyShort('x'.repeat(5000))).toBeUndefined();
  });
});
