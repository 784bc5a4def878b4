import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDeliveryRef, parseDeliveryRef } from '../../../src/providers/delivery-ref.js';

describe('delivery ref', () => {
  it('parses back exactly what the send side builds, for any ids', () => {
    const id = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(id, id, fc.integer({ min: 0, max: 1000 }), (campaignId, recipientId, attempt) => {
        expect(parseDeliveryRef(formatDeliveryRef(campaignId, recipientId, attempt))).toEqual({ campaignId, recipientId, attempt });
      }),
    );
  });

  it('is c<campaign>_r<recipient>_a<attempt>, and nothing else parses', () => {
    expect(formatDeliveryRef(1, 2, 3)).toBe('c1_r2_a3');
    expect(parseDeliveryRef(' c1_r2_a3 ')).toEqual({ campaignId: 1, recipientId: 2, attempt: 3 });
    for (const bad of ['c1_r2', 'x1_r2_a3', 'c1_r2_a3_', 'c-1_r2_a3', '', undefined, 42]) expect(parseDeliveryRef(bad)).toBeUndefined();
  });
});
