/**
 * `send_at_local: "09:00"`: each recipient becomes due at that time on their own clock. The
 * zone is the one quiet hours read (compliance/timezones.ts: the customer's timezone, else their
 * country's usual zone, else mkt.yaml's default_timezone, else UTC); the time is the first such
 * moment at or after the campaign's start (its schedule, or now when prepared later). Set at
 * prepare as the ledger rows' next_attempt_at, so the dispatcher sends each row when it is due
 * and a `send --due` run ends `waiting: N` for the rest.
 */
import { nextWallClock } from '../compliance/quiet-hours.js';
import { recipientZone } from '../compliance/timezones.js';
import type { Campaign } from '../db/campaigns.js';
import type { FlowStore } from '../db/flow-store.js';
import { LOCAL_TIME } from './spec.js';


/** `"09:00"` → minutes after local midnight; undefined when it is not HH:MM. */
export function localMinutes(text: string): number | undefined {
  const m = LOCAL_TIME.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Gives the campaign's rows that have no due time yet their local due time; returns how many. */
export async function applySendAtLocal(
  flow: Pick<FlowStore, 'setLocalDueTimes'>,
  campaign: Pick<Campaign, 'id' | 'scheduleAt' | 'settings'>,
  now: number,
  defaultZone: string | undefined,
): Promise<number> {
  const text = campaign.settings.send_at_local;
  const minutes = typeof text === 'string' ? localMinutes(text) : undefined;
  if (minutes === undefined) return 0;
  const start = Math.max(now, campaign.scheduleAt ?? now);
  return flow.setLocalDueTimes(campaign.id, (g) => nextWallClock(start, recipientZone(g, defaultZone), minutes));
}
