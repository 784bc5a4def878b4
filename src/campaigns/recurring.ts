/**
 * Recurring campaigns (`recurring: { every: 1d }`): each `send --due` run, once `every` has
 * passed since the last run, refreshes the segment, appends only the customers who newly match
 * (the ledger's refresh never re-adds an address or a customer it holds, so nobody gets the
 * same recurring campaign twice) as the next run, and sends to them; caps and quiet hours apply
 * as in any send. A run is due once `every` has passed since the last one began, less a tenth
 * of it (at most an hour): a daily job that starts a few seconds earlier than yesterday's must
 * not skip a day.
 */
import type { Campaign } from '../db/campaigns.js';
import { parseEvery } from './spec.js';

const MAX_SLACK_MS = 3_600_000;

export function recurringEveryMs(c: Pick<Campaign, 'settings'>): number | undefined {
  const every = c.settings.recurring?.every;
  return typeof every === 'string' ? parseEvery(every) : undefined;
}

/** Whether a new run of this recurring campaign is due now (a draft's first run included). */
export function recurringRunDue(c: Pick<Campaign, 'settings' | 'state' | 'scheduleAt' | 'preparedAt'>, now: number): boolean {
  const every = recurringEveryMs(c);
  if (every === undefined || c.state === 'cancelled') return false;
  if (c.scheduleAt !== null && c.scheduleAt > now) return false;
  if (c.preparedAt === null) return true;
  return now >= c.preparedAt + every - Math.min(every / 10, MAX_SLACK_MS);
}

/** The recurring campaigns among these whose next run is due. */
export function dueRecurring(campaigns: Campaign[], now: number): Campaign[] {
  return campaigns.filter((c) => recurringRunDue(c, now));
}
