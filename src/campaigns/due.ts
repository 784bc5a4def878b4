/** `send --due`: which campaigns may be sent (or resumed) unattended. */
import type { Campaign } from '../db/campaigns.js';
import type { CampaignDeps } from './deps.js';

/** Pauses a scheduled job may resume: the rest (fatal errors, a canary --limit) wait for a person. */
const RESUMABLE_PAUSES = ['interrupted', 'daily_cap', 'waiting', 'lease_lost'];
/** Pauses that only wait for time to pass: `--due` resumes them even on unscheduled campaigns. */
const TIME_WAITS = ['waiting', 'daily_cap'];

const pauseCode = (c: Campaign): string => c.pause?.code ?? '';

/** Whether a paused campaign may be resumed unattended (`send --due`): not after fatal errors or a canary --limit. */
export function resumableUnattended(row: Campaign): boolean {
  return row.state !== 'paused' || RESUMABLE_PAUSES.includes(pauseCode(row));
}

/** Names of campaigns whose schedule has passed and that may be sent unattended. */
export async function dueCampaignNames(deps: CampaignDeps): Promise<string[]> {
  return (await deps.repos.campaigns.due(deps.now()))
    .filter((c) => (c.scheduleAt !== null ? resumableUnattended(c) : TIME_WAITS.includes(pauseCode(c))))
    .map((c) => c.name);
}
