/**
 * Read views of campaign engagement: `campaign links` (each link's clicks) and `campaign
 * compare` (several campaigns' results side by side). The figures are the same objects
 * `campaign status` shows (src/campaigns/results.ts), so the three never disagree.
 */
import { UsageError } from '../errors.js';
import type { CampaignDeps } from './deps.js';
import { getCampaign } from './create.js';
import type { CampaignResults } from './results.js';
import { campaignStatus } from './status.js';

export interface CampaignLinks {
  campaign: string;
  links: Array<{ link_id: number; url: string; kind: string; clicks: number; unique_clicks: number; machine_clicks: number }>;
}

export async function campaignLinks(deps: Pick<CampaignDeps, 'store' | 'repos'>, name: string): Promise<CampaignLinks> {
  const c = await getCampaign(deps, name);
  return { campaign: c.name, links: await deps.repos.results.links(c.id) };
}

export interface ComparedCampaign {
  campaign: string;
  channel: string;
  state: string;
  recipients: number;
  results: CampaignResults;
}

export async function compareCampaigns(deps: Pick<CampaignDeps, 'store' | 'repos'>, names: readonly string[]): Promise<{ campaigns: ComparedCampaign[] }> {
  const unique = [...new Set(names)];
  if (unique.length < 2) throw new UsageError('compare needs at least two different campaigns', { hint: 'mkt campaign compare spring summer' });
  const campaigns: ComparedCampaign[] = [];
  for (const n of unique) {
    const s = await campaignStatus(deps, n);
    campaigns.push({ campaign: s.campaign, channel: s.channel, state: s.state, recipients: s.recipients, results: s.results });
  }
  return { campaigns };
}
