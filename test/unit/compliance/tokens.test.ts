import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsubscribeTokens } from '../../../src/compliance/tokens.js';

const current = { keyId: 'k2', secret: 'current-secret-0123456789abcdef' };
const old = { keyId: 'k1', secret: 'previous-secret-0123456789abcdef' };

describe('unsubscribe tokens', () => {
  const tokens = new UnsubscribeTokens(current, [old]);

  it('round-trips campaign, customer and channel, URL-safe and without the address', () => {
    const t = tokens.sign({ campaignId: 42, customerId: 1234, channel: 'email' });
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(tokens.verify(t)).toEqual({ keyId: 'k2', campaignId: 42, customerId: 1234, channel: 'email' });
  });

  it('rejects 100,000 forged tokens', () => {
    const genuine = tokens.sign({ campaignId: 7, customerId: 99, channel: 'email' });
    const [payload] = genuine.split('.');
    const guessed = new UnsubscribeTokens({ keyId: 'k2', secret: randomBytes(16).toString('hex') });
    const unknownKey = new UnsubscribeTokens({ keyId: 'k9', secret: current.secret });
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) {
      let forged: string;
      switch (i % 4) {
        case 0: // a right-looking payload with a random MAC
          forged = `${payload}.${randomBytes(16).toString('base64url')}`;
          break;
        case 1: // another customer, MAC made with a guessed key
          forged = guessed.sign({ campaignId: 7, customerId: 100 + i, channel: 'email' });
          break;
        case 2: // random bytes in token shape
          forged = `${randomBytes(12).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
          break;
        default: // a known key id that is not configured
          forged = unknownKey.sign({ campaignId: 7, customerId: i + 1, channel: 'sms' });
      }
      if (tokens.verify(forged) !== undefined) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('rejects any single-character change of a genuine token', () => {
    const genuine = tokens.sign({ campaignId: 3, customerId: 5, channel: 'sms' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    fc.assert(
      fc.property(fc.nat(genuine.length - 1), fc.constantFrom(...alphabet), (pos, ch) => {
        const tampered = genuine.slice(0, pos) + ch + genuine.slice(pos + 1);
        fc.pre(tampered !== genuine);
        expect(tokens.verify(tampered)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    expect(tokens.verify(genuine + 'A')).toBeUndefined();
    expect(tokens.verify(genuine.slice(0, -1))).toBeUndefined();
    expect(tokens.verify('')).toBeUndefined();
    expect(tokens.verify('x'.repeat(5000))).toBeUndefined();
  });

  it('rotates keys: links signed with a previous key keep working until it is removed', () => {
    const before = new UnsubscribeTokens(old).sign({ campaignId: 1, customerId: 2, channel: 'whatsapp' });
    expect(tokens.verify(before)).toMatchObject({ keyId: 'k1', customerId: 2, channel: 'whatsapp' });
    expect(new UnsubscribeTokens(current).verify(before)).toBeUndefined();
    expect(tokens.sign({ campaignId: 1, customerId: 2, channel: 'whatsapp' })).not.toBe(before);
  });
});
