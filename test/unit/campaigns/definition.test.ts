/**
 * The one rule of campaigns as code (src/campaigns/definition.ts): a stored campaign read back
 * as a spec plans `no change`, and a change is refused exactly when a key its state fixes moves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changedKeys, newCampaignOf, planChange, specOf, specYaml } from '../../../src/campaigns/definition.js';
import type { CampaignSpec } from '../../../src/campaigns/spec.js';
import { CAMPAIGN_STATES, type Campaign, type CampaignState } from '../../../src/db/campaigns.js';
import { parse } from 'yaml';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const spec = fc.record(
  {
    name: fc.constantFrom('spring', 'autumn'),
    channel: fc.constantFrom('email' as const, 'sms' as const),
    segment: fc.constantFrom('all', 'vip'),
    provider: fc.constantFrom('outbox', 'tw'),
    template: fc.constantFrom('hello', 'email/news'),
    schedule: fc.integer({ min: 0, max: 10 ** 9 }).map((s) => new Date(NOW + s * 1000).toISOString().replace('.000Z', 'Z')),
    throttle: fc.constantFrom('5/s', '600/m'),
    distribution: fc.constantFrom('round-robin' as const, 'sticky' as const),
    concurrency: fc.integer({ min: 1, max: 1024 }),
  },
  { requiredKeys: ['name', 'channel', 'segment', 'provider', 'template'] },
) as fc.Arbitrary<CampaignSpec>;

function row(s: CampaignSpec, state: CampaignState): Campaign {
  const n = newCampaignOf(s);
  return { id: 1, state, plan: null, planHash: null, pause: null, leaseOwner: null, leaseExpiresAt: null, createdAt: NOW, updatedAt: NOW, preparedAt: null, startedAt: null, completedAt: null, archivedAt: null, ...n, scheduleAt: n.scheduleAt ?? null, throttle: n.throttle ?? null, settings: n.settings ?? {} };
}
/** README's table, written out again: what each state lets change. */
const ALLOWED: Record<CampaignState, string[]> = {
  draft: ['channel', 'segment', 'provider', 'template', 'schedule', 'throttle', 'distribution', 'concurrency', 'tracking'],
  prepared: ['template', 'schedule', 'throttle', 'distribution', 'concurrency', 'tracking'],
  sending: ['throttle', 'schedule', 'concurrency'],
  paused: ['throttle', 'schedule', 'concurrency'],
  completed: [],
  cancelled: [],
};

describe('campaign definitions', () => {
  it('a stored campaign read back as a spec (and as its YAML) changes nothing, in any state', () => {
    fc.assert(
      fc.property(spec, fc.constantFrom(...CAMPAIGN_STATES), (s, state) => {
        const r = row(s, state);
        expect(changedKeys(r, specOf(r))).toEqual([]);
        expect(changedKeys(r, { ...(parse(specYaml(s)) as CampaignSpec), name: s.name })).toEqual([]);
        expect(planChange(r, s, { now: NOW }).action).toBe('no_change');
      }),
    );
  });

  it('a change is applied exactly when every changed key is one the state allows', () => {
    fc.assert(
      fc.property(spec, spec, fc.constantFrom(...CAMPAIGN_STATES), (a, b, state) => {
        const next = { ...b, name: a.name };
        const line = planChange(row(a, state), next, { now: NOW });
        const keys = changedKeys(row(a, state), next);
        // generated schedules are never in the past, so only the state decides
        expect(line.action).toBe(!keys.length ? 'no_change' : keys.every((k) => ALLOWED[state].includes(k)) ? 'update' : 'refused');
      }),
    );
  });

  it('a schedule in the past is refused for a new campaign unless allowed', () => {
    const s: CampaignSpec = { name: 'x', channel: 'sms', segment: 'all', provider: 'tw', template: 'hello', schedule: '2026-05-01T00:00:00Z' };
    expect(planChange(undefined, s, { now: NOW })).toMatchObject({ action: 'refused', code: 'schedule_in_past' });
    expect(planChange(undefined, s, { now: NOW, allowPast: true }).action).toBe('create');
  });
});
