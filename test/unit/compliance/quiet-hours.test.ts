import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insideWindow, nextOpening, parseWindow, zoneOffsetMs } from '../../../src/compliance/quiet-hours.js';
import { recipientZone } from '../../../src/compliance/timezones.js';

const day = parseWindow('09:00-20:00')!;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Local minutes after midnight of instant t in zone. */
const localMinutes = (zone: string, t: number) => {
  const wall = t + zoneOffsetMs(zone, t);
  return Math.floor((wall % 86_400_000) / 60_000);
};

describe('quiet hours', () => {
  it('parses windows, including ones that wrap midnight', () => {
    expect(day).toMatchObject({ start: 540, end: 1200 });
    expect(parseWindow('21:00-07:30')).toMatchObject({ start: 1260, end: 450 });
    for (const bad of ['9-20', '09:00', '24:00-10:00', '09:00-09:00', '09:60-10:00', 'x']) expect(parseWindow(bad)).toBeUndefined();
    const night = parseWindow('21:00-07:00')!;
    expect(insideWindow(22 * 60, night)).toBe(true);
    expect(insideWindow(6 * 60, night)).toBe(true);
    expect(insideWindow(12 * 60, night)).toBe(false);
  });

  it('reads the window in each recipient\'s own zone', () => {
    const now = at('2026-06-01T12:00:00Z');
    expect(nextOpening(now, 'Europe/Berlin', day)).toBeUndefined(); // 14:00 local
    expect(iso(nextOpening(now, 'America/New_York', day))).toBe('2026-06-01T13:00:00.000Z'); // 08:00 EDT
    expect(iso(nextOpening(now, 'Asia/Tokyo', day))).toBe('2026-06-02T00:00:00.000Z'); // 21:00 JST
    expect(iso(nextOpening(now, 'Asia/Kathmandu', day))).toBeUndefined(); // 17:45
    expect(iso(nextOpening(at('2026-06-01T15:00:00Z'), 'Asia/Kathmandu', day))).toBe('2026-06-02T03:15:00.000Z'); // 20:45 → 09:00 +05:45
    expect(iso(nextOpening(now, 'Pacific/Auckland', day))).toBe('2026-06-01T21:00:00.000Z'); // 00:00 NZST → 09:00
  });

  it('follows daylight saving time changes', () => {
    // London springs forward on 2026-03-29 at 01:00 UTC: 09:00 BST is 08:00 UTC
    expect(iso(nextOpening(at('2026-03-28T21:00:00Z'), 'Europe/London', day))).toBe('2026-03-29T08:00:00.000Z');
    // New York falls back on 2026-11-01: 09:00 EST is 14:00 UTC
    expect(iso(nextOpening(at('2026-11-01T02:00:00Z'), 'America/New_York', day))).toBe('2026-11-01T14:00:00.000Z');
    // a window starting in the spring-forward gap (02:30 does not exist in New York on 2026-03-08)
    const gap = parseWindow('02:30-20:00')!;
    const t = nextOpening(at('2026-03-08T05:00:00Z'), 'America/New_York', gap)!; // 00:00 EST
    expect(t).toBeGreaterThan(at('2026-03-08T05:00:00Z'));
    expect(t).toBeLessThanOrEqual(at('2026-03-08T07:30:00Z'));
  });

  it('defers to an instant that is inside the window, never later than a day', () => {
    const zones = ['UTC', 'Europe/London', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
    fc.assert(
      fc.property(fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') }), fc.constantFrom(...zones), (now, zone) => {
        const opens = nextOpening(now, zone, day);
        if (opens === undefined) {
          expect(insideWindow(localMinutes(zone, now), day)).toBe(true);
          return;
        }
        expect(opens).toBeGreaterThan(now);
        expect(opens - now).toBeLessThanOrEqual(25 * 3_600_000);
        expect(insideWindow(localMinutes(zone, opens), day)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('picks the zone: customer timezone, else the country\'s, else the workspace default, else UTC', () => {
    expect(recipientZone({ timezone: 'Asia/Tokyo', country: 'US' }, 'Europe/Paris')).toBe('Asia/Tokyo');
    expect(recipientZone({ timezone: 'Not/AZone', country: 'GB' }, 'Europe/Paris')).toBe('Europe/London');
    expect(recipientZone({ timezone: null, country: 'US' })).toBe('America/New_York');
    expect(recipientZone({ timezone: null, country: 'XX' }, 'Europe/Paris')).toBe('Europe/Paris');
    expect(recipientZone({ timezone: null, country: null })).toBe('UTC');
  });
});
