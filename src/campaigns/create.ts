import type { Campaign } from '../db/campaigns.js';
import { InputError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { checkSchedule, newCampaignOf } from './definition.js';
import type { CampaignDeps } from './deps.js';
import { checkReferences } from './references.js';
import type { CampaignSpec } from './spec.js';
import { view, type CampaignView } from './view.js';

/**
 * Creates a draft campaign after checking that its segment, provider and template exist and
 * agree. A schedule in the past is refused (64) unless `allowPast` (`--now`): it would be sent
 * by the next `send --due` at once, which is rarely what a typo meant.
 */
export async function createCampaign(deps: CampaignDeps, spec: CampaignSpec, o: { allowPast?: boolean } = {}): Promise<CampaignView> {
  checkSchedule(spec, { now: deps.now(), allowPast: o.allowPast });
  await checkReferences(deps.workspace, spec);
  if (await deps.repos.campaigns.get(spec.name)) {
    throw new InputError('campaign_exists', `a campaign named "${spec.name}" already exists`, { hint: 'pick another --name, or `mkt campaign show` it' });
  }
  return view(await deps.repos.campaigns.create(newCampaignOf(spec), deps.now()));
}

/** The spec's options kept in the campaign's JSON settings (only those given). */
export async function getCampaign(deps: Pick<CampaignDeps, 'repos'>, name: string): Promise<Campaign> {
  const row = await deps.repos.campaigns.get(name);
  if (!row) {
    const known = (await deps.repos.campaigns.list()).map((c) => c.name);
    throw new InputError('campaign_not_found', `no campaign named "${name}"${didYouMean(name, known)}`, {
      hint: known.length ? `campaigns: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : 'create one with `mkt campaign create`',
    });
  }
  return row;
}

/** Every campaign; archived ones only with `all` (`campaign list --all`). */
export async function listCampaignViews(deps: Pick<CampaignDeps, 'repos'>, o: { all?: boolean } = {}): Promise<CampaignView[]> {
  return (await deps.repos.campaigns.list({ archived: Boolean(o.all) })).map(view);
}

/** The pause reason of a cancelled campaign (shown as `cancelled by the operator`). */
export const CANCELLED = { code: null, message: 'cancelled by the operator' };

/** Cancels a campaign that has not finished. A running send notices at its next claim (or heartbeat, while it waits) and stops claiming. */
export async function cancelCampaign(deps: CampaignDeps, name: string): Promise<CampaignView> {
  const row = await getCampaign(deps, name);
  if (row.state === 'completed' || row.state === 'cancelled') {
    throw new InputError('campaign_finished', `campaign "${name}" is already ${row.state}`);
  }
  await deps.repos.campaigns.update(row.id, { state: 'cancelled', pause: CANCELLED }, deps.now());
  return view(await getCampaign(deps, name));
}
