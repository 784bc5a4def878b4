/**
 * The claim-time rules of a campaign: quiet hours first (a recipient outside their window is
 * deferred to when it opens, and checked again then), then the frequency cap (skipped with
 * `frequency_cap`). Runs inside the claim transaction, so it sees every send committed before.
 */
import type { Channel } from '../channels.js';
import { recentMessageCounter } from '../db/compliance-sql.js';
import type { ClaimCandidate, ClaimVerdict } from '../db/ledger.js';
import type { Store } from '../db/open.js';
import type { WorkspaceSettings } from './config.js';
import { nextOpening } from './quiet-hours.js';
import { recipientZone } from './timezones.js';

export function claimRules(
  settings: WorkspaceSettings,
  store: Store,
  campaign: { id: number; channel: Channel },
  now: () => number,
): ((row: ClaimCandidate) => ClaimVerdict) | undefined {
  const window = settings.quietHours[campaign.channel];
  const cap = settings.frequencyCap[campaign.channel];
  if (!window && !cap) return undefined;
  const count = cap ? recentMessageCounter(store, campaign.id, campaign.channel) : undefined;
  return (row) => {
    const t = now();
    if (window) {
      const opens = nextOpening(t, recipientZone(row, settings.defaultTimezone), window);
      if (opens !== undefined) return { defer: opens };
    }
    if (cap && count!(row.customerId, t - cap.perMs) >= cap.max) return 'frequency_cap';
    return undefined;
  };
}
