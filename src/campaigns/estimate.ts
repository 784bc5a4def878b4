import type { Campaign } from '../db/campaigns.js';
import type { CampaignDeps } from './deps.js';
import { templateVars } from './message.js';
import { loadCampaignTemplate } from './references.js';

/** Average SMS segments per message, rendered for the first `sample` recipients of the list. */
export async function sampleSmsSegments(deps: CampaignDeps, row: Campaign, sample = 200): Promise<number | undefined> {
  const template = await loadCampaignTemplate(deps.workspace, row);
  const ctx = { campaign: { name: row.name, id: row.id, channel: row.channel }, template, now: deps.now };
  let n = 0;
  let segments = 0;
  // the pending list in ledger order, with each customer (what a send renders first)
  for await (const r of deps.repos.audience.sample({ campaignId: row.id, channel: row.channel, prepared: true, filter: undefined, now: deps.now() })) {
    try {
      const out = template.render(templateVars(ctx, r).vars);
      if (out.channel === 'sms') segments += out.segments;
      n++;
    } catch {
      // a recipient whose message cannot render is reported at send time
    }
    if (n >= sample) break;
  }
  return n === 0 ? undefined : segments / n;
}
