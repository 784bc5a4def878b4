import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeColour, visibleLength } from '../../../src/output/colour.js';
import { progressLine, type SendProgress } from '../../../src/output/progress.js';

const progress = fc
  .record({
    recipients: fc.oneof(fc.constant(10_000_000), fc.integer({ min: 0, max: 10_000_000 })),
    sent: fc.oneof(fc.constant(10_000_000), fc.nat(10_000_000)),
    failed: fc.oneof(fc.constant(100_000), fc.nat(100_000)),
    unknown: fc.oneof(fc.constant(100_000), fc.nat(100_000)),
    remaining: fc.oneof(fc.constant(10_000_000), fc.nat(10_000_000)),
    rate: fc.double({ min: 0, max: 100_000, noNaN: true }),
    senders: fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(1_000_000)), { maxLength: 6 }),
  })
  .map(
    (r): SendProgress => ({
      sent: r.sent,
      failed: r.failed,
      unknown: r.unknown,
      skipped: 0,
      retrying: 0,
      inFlight: 0,
      remaining: r.remaining,
      rate: r.rate,
      bySender: Object.fromEntries(r.senders),
      elapsedMs: 1000,
      total: r.recipients,
      overall: { recipients: r.recipients, sent: r.sent, failed: r.failed, unknown: r.unknown, skipped: 0 },
    }),
  );

describe('progressLine', () => {
  it('never reaches the last column, and keeps rate and ETA from 80 columns on (colour or not)', () => {
    fc.assert(
      fc.property(progress, fc.integer({ min: 20, max: 240 }), fc.boolean(), (p, width, colour) => {
        const line = progressLine(p, width, makeColour(colour));
        expect(visibleLength(line)).toBeLessThanOrEqual(width - 1);
        if (width >= 80) expect(line.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/\d\/s( ·)? ETA \S+/);
      }),
      { numRuns: 2000 },
    );
  });

  it('drops the per-sender detail before anything else', () => {
    fc.assert(
      fc.property(progress, fc.integer({ min: 80, max: 240 }), (p, width) => {
        const line = progressLine(p, width, makeColour(false));
        if (line.includes(' · ETA ') && !/ETA \S+$/.test(line)) {
          // when the detail is there, the bar is there too
          expect(line).toMatch(/^[█░]+ /);
        }
      }),
    );
  });
});

describe('progressLine at 80 columns with the largest numbers', () => {
  it('still shows the rate and the ETA', () => {
    const big: SendProgress = {
      sent: 9_999_999, failed: 100_000, unknown: 100_000, skipped: 0, retrying: 0, inFlight: 0, remaining: 9_000_000, rate: 99_999.9,
      bySender: { '+15550000001': 1 }, elapsedMs: 1, total: 10_000_000,
      overall: { recipients: 10_000_000, sent: 9_999_999, failed: 100_000, unknown: 100_000, skipped: 0 },
    };
    const line = progressLine(big, 80, makeColour(true));
    expect(visibleLength(line)).toBeLessThanOrEqual(79);
    expect(line.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/99999\.9\/s( ·)? ETA 1m31s$/);
  });
});
