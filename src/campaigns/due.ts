/** `send --due`: which campaigns may be sent (or resumed) unattended, and why the others wait. */
import type { Campaign } from '../db/campaigns.js';
import type { CampaignDeps } from './deps.js';
import { abStage, type AbStage } from './ab-test.js';
import { sendBackend } from './send-backend.js';
import { dueRecurring, recurringRunDue } from './recurring.js';

/** Pauses a scheduled job may resume: the rest (fatal errors, a canary --limit) wait for a person. */
const RESUMABLE_PAUSES = ['interrupted', 'daily_cap', 'waiting', 'lease_lost'];
/** Pauses that only wait for time to pass: `--due` resumes them even on unscheduled campaigns. */
const TIME_WAITS = ['waiting', 'daily_cap'];

const pauseCode = (c: Campaign): string => c.pause?.code ?? '';

/** Whether a paused campaign may be resumed unattended (`send --due`): not after fatal errors or a canary --limit. */
export function resumableUnattended(row: Campaign): boolean {
  return row.state !== 'paused' || RESUMABLE_PAUSES.includes(pauseCode(row));
}

/**
 * Why `send --due` left a candidate alone: `paused` (for a person: a fatal error, a content
 * rejection), `canary_held` (a `--limit` batch went out and the rest waits for someone to look),
 * `quiet_hours` / `local_time` (nothing is due yet: rows wait for their window or their 09:00).
 */
export interface DueSkip {
  campaign: string;
  reason: 'paused' | 'canary_held' | 'quiet_hours' | 'local_time' | 'ab_test';
  message: string;
}

export interface DueSelection {
  names: string[];
  skipped: DueSkip[];
}

/** Why a candidate is not run now, or undefined to run it. */
async function skipOf(deps: CampaignDeps, c: Campaign, now: number): Promise<DueSkip | undefined> {
  // a recurring campaign's next run is its schedule
  const runnable = c.scheduleAt !== null || recurringRunDue(c, now) ? resumableUnattended(c) : TIME_WAITS.includes(pauseCode(c));
  if (!runnable) {
    const held = pauseCode(c) === 'limit';
    return { campaign: c.name, reason: held ? 'canary_held' : 'paused', message: held ? `a --limit batch was sent (${c.pause?.message}); send it by name to go on` : (c.pause?.message ?? 'paused') };
  }
  if (c.state === 'draft' || recurringRunDue(c, now)) return undefined; // prepared (or refreshed) on the fly, then sent
  // a campaign without an A/B test has no stage
  const ab: AbStage = c.settings.variants && c.settings.test ? await abStage(deps.repos.variants, c, now) : { stage: 'none' };
  if (ab.stage === 'due') return undefined; // the winner goes to the rest in this run
  // the store's own ledger (PostgreSQL: read only here; no worker registers until a send holds it)
  const { ledger } = await sendBackend(deps, c, c.provider);
  if ((await ledger.dueCount(now)) > 0) return undefined;
  const waiting = await ledger.waiting(now);
  if (waiting.count === 0 || waiting.next === null) return undefined; // nothing left: the run completes it
  const until = new Date(waiting.next).toISOString();
  if (ab.stage === 'waiting') return { campaign: c.name, reason: 'ab_test', message: `${ab.held} recipient(s) wait for the A/B test's winner, chosen at ${new Date(ab.decideAt).toISOString()}` };
  return c.settings.send_at_local
    ? { campaign: c.name, reason: 'local_time', message: `${waiting.count} recipient(s) wait for ${c.settings.send_at_local} on their own clock; the next at ${until}` }
    : { campaign: c.name, reason: 'quiet_hours', message: `${waiting.count} recipient(s) wait for their quiet hours to end; the next at ${until}` };
}

/** The campaigns `send --due` runs now, and those it skips with the reason. */
export async function dueSelection(deps: CampaignDeps): Promise<DueSelection> {
  const now = deps.now();
  const names: string[] = [];
  const skipped: DueSkip[] = [];
  const scheduled = await deps.repos.campaigns.due(now);
  const recurring = dueRecurring(await deps.repos.campaigns.list(), now).filter((r) => !scheduled.some((c) => c.id === r.id));
  for (const c of [...scheduled, ...recurring]) {
    const skip = await skipOf(deps, c, now);
    if (skip) skipped.push(skip);
    else names.push(c.name);
  }
  return { names, skipped };
}

/** Names of campaigns whose schedule has passed and that may be sent unattended. */
export async function dueCampaignNames(deps: CampaignDeps): Promise<string[]> {
  return (await dueSelection(deps)).names;
}
